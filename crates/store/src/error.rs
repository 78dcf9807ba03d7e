//! [`StoreError`]: every way the block store can fail, with stable codes.

use std::fmt;

/// A block-store failure. Each variant has a stable [`StoreError::code`].
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Another `Store` (in this process or another) has the file open.
    AlreadyOpen,
    /// The file is not a readable database, or a page or record in it fails
    /// its checks (torn, truncated, overwritten or bit-flipped data).
    Corrupted(String),
    /// A valid database that novation-store did not write.
    ForeignDatabase(String),
    /// A novation-store database of a schema version this build cannot read.
    UnsupportedSchema {
        /// Version found in the file.
        found: u32,
        /// Version this build reads and writes.
        supported: u32,
    },
    /// The file uses an older redb file format that must be upgraded first.
    UpgradeRequired(u8),
    /// `commit_block` was given a height other than `latest + 1`.
    HeightOutOfOrder {
        /// Latest committed height.
        latest: u64,
        /// Height the caller tried to commit.
        got: u64,
    },
    /// A key or value larger than the storage engine accepts.
    ValueTooLarge(usize),
    /// An operating-system I/O error.
    Io(std::io::Error),
    /// Any other storage-engine failure (the engine's message).
    Engine(String),
}

impl StoreError {
    /// Stable machine-readable code, passed through by the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlreadyOpen => "store_already_open",
            Self::Corrupted(_) => "store_corrupted",
            Self::ForeignDatabase(_) => "store_foreign_database",
            Self::UnsupportedSchema { .. } => "store_unsupported_schema",
            Self::UpgradeRequired(_) => "store_upgrade_required",
            Self::HeightOutOfOrder { .. } => "store_height_out_of_order",
            Self::ValueTooLarge(_) => "store_value_too_large",
            Self::Io(_) => "store_io",
            Self::Engine(_) => "store_engine",
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyOpen => write!(f, "the store is already open elsewhere"),
            Self::Corrupted(what) => write!(f, "the store is corrupted: {what}"),
            Self::ForeignDatabase(what) => write!(f, "not a novation store: {what}"),
            Self::UnsupportedSchema { found, supported } => {
                write!(f, "store schema version {found} is not supported (this build reads {supported})")
            }
            Self::UpgradeRequired(version) => {
                write!(f, "database file format {version} must be upgraded first")
            }
            Self::HeightOutOfOrder { latest, got } => {
                write!(f, "block height {got} is out of order: latest committed height is {latest}")
            }
            Self::ValueTooLarge(len) => write!(f, "value of {len} bytes is too large"),
            Self::Io(error) => write!(f, "store I/O error: {error}"),
            Self::Engine(what) => write!(f, "storage engine error: {what}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl From<redb::StorageError> for StoreError {
    fn from(error: redb::StorageError) -> Self {
        match error {
            redb::StorageError::Corrupted(what) => Self::Corrupted(what),
            redb::StorageError::ValueTooLarge(len) => Self::ValueTooLarge(len),
            redb::StorageError::Io(error) => Self::Io(error),
            other => Self::Engine(other.to_string()),
        }
    }
}

impl From<redb::DatabaseError> for StoreError {
    fn from(error: redb::DatabaseError) -> Self {
        match error {
            redb::DatabaseError::DatabaseAlreadyOpen => Self::AlreadyOpen,
            redb::DatabaseError::UpgradeRequired(version) => Self::UpgradeRequired(version),
            redb::DatabaseError::Storage(error) => error.into(),
            other => Self::Engine(other.to_string()),
        }
    }
}

impl From<redb::TransactionError> for StoreError {
    fn from(error: redb::TransactionError) -> Self {
        match error {
            redb::TransactionError::Storage(error) => error.into(),
            other => Self::Engine(other.to_string()),
        }
    }
}

impl From<redb::TableError> for StoreError {
    fn from(error: redb::TableError) -> Self {
        match error {
            redb::TableError::Storage(error) => error.into(),
            error @ (redb::TableError::TableTypeMismatch { .. }
            | redb::TableError::TableIsMultimap(_)
            | redb::TableError::TableIsNotMultimap(_)
            | redb::TableError::TypeDefinitionChanged { .. }
            | redb::TableError::TableDoesNotExist(_)) => Self::ForeignDatabase(error.to_string()),
            other => Self::Engine(other.to_string()),
        }
    }
}

impl From<redb::CommitError> for StoreError {
    fn from(error: redb::CommitError) -> Self {
        match error {
            redb::CommitError::Storage(error) => error.into(),
            other => Self::Engine(other.to_string()),
        }
    }
}

impl From<redb::SetDurabilityError> for StoreError {
    fn from(error: redb::SetDurabilityError) -> Self {
        Self::Engine(error.to_string())
    }
}
