//! The one error type of the command: every failure is a [`CliError`] with a message a user
//! can act on and an exit code (1 for a failure, 2 for a usage error). Nothing panics.

use std::fmt;
use std::path::PathBuf;

/// Exit code of a command that failed (node unreachable, transaction rejected, ...).
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit code of a command that was used wrongly (bad argument).
pub(crate) const EXIT_USAGE: u8 = 2;

/// Why a command failed.
#[derive(Debug)]
pub(crate) enum CliError {
    /// An argument is malformed or the combination makes no sense.
    Usage(String),
    /// A well-formed argument names something that does not exist or does not fit (unknown
    /// market, key or asset; a size off the lot grid).
    Input(String),
    /// Nothing answers at the RPC address.
    Unreachable {
        /// The address tried.
        url: String,
        /// What the transport said.
        detail: String,
    },
    /// The node answered with a JSON-RPC error.
    Rpc {
        /// The stable error code (protocol 1–99, envelope 1001–1099, node 2001–2099).
        code: i64,
        /// The node's explanation.
        message: String,
    },
    /// The node answered something this command cannot read.
    BadResponse(String),
    /// A transaction was included but the protocol rejected it.
    Rejected {
        /// The stable protocol error code.
        code: i64,
        /// The protocol's explanation.
        message: String,
        /// Which action failed, if known.
        action_index: Option<u64>,
    },
    /// A transaction was admitted but not included in time.
    Timeout(String),
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The embedded node stopped with an error.
    Node(String),
    /// An order that may not rest (market, IOC, FOK) was included but filled nothing.
    Unfilled(String),
}

impl CliError {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            _ => EXIT_FAILURE,
        }
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CliError::Io { path: path.into(), source }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(why) | CliError::Input(why) => f.write_str(why),
            CliError::Unreachable { url, detail } => {
                write!(f, "cannot reach the node at {url}: is `novation devnet` running? ({detail})")
            }
            CliError::Rpc { code, message } => write!(f, "the node refused the request: error {code}: {message}"),
            CliError::BadResponse(why) => write!(f, "unexpected answer from the node: {why}"),
            CliError::Rejected { code, message, action_index } => {
                write!(f, "transaction rejected: error {code}: {message}")?;
                match action_index {
                    Some(index) => write!(f, " (action {index})"),
                    None => Ok(()),
                }
            }
            CliError::Timeout(why) => f.write_str(why),
            CliError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CliError::Node(why) => write!(f, "the node stopped: {why}"),
            CliError::Unfilled(why) => write!(f, "the order filled nothing: {why}"),
        }
    }
}

impl std::error::Error for CliError {}

/// The result of a command.
pub(crate) type CliResult<T> = Result<T, CliError>;
