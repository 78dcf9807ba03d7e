//! The one error type of the command: every failure is a [`CliError`] with a message a user
//! can act on, an optional one-line hint, a stable kind name for `--json` and an exit code
//! (1 for a failure, 2 for a usage error or a mistake refused before signing). Nothing
//! panics.

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
    /// A mistake the command saw before signing (subaccount out of range, off the grid,
    /// more than the balance, unknown market): nothing was sent, no nonce was used.
    Refused {
        /// What is wrong, with the numbers.
        message: String,
        /// What to do instead.
        hint: Option<String>,
    },
    /// The protocol refused an included transaction, explained with the numbers the command
    /// could fetch (available vs needed) and a hint.
    Explained {
        /// The rejection as the node reported it.
        rejected: Box<CliError>,
        /// Available vs needed, when the command could fetch them.
        numbers: Option<String>,
        /// What to do instead.
        hint: Option<String>,
    },
}

impl CliError {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Refused { .. } => EXIT_USAGE,
            _ => EXIT_FAILURE,
        }
    }

    /// A mistake refused before signing, with a hint.
    pub(crate) fn refused(message: impl Into<String>, hint: impl Into<String>) -> Self {
        CliError::Refused { message: message.into(), hint: Some(hint.into()) }
    }

    /// The stable name of this kind of error (the `code` of `--json` errors).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            CliError::Usage(_) => "usage",
            CliError::Input(_) => "input",
            CliError::Unreachable { .. } => "unreachable",
            CliError::Rpc { .. } => "node_refused",
            CliError::BadResponse(_) => "bad_response",
            CliError::Rejected { .. } => "rejected",
            CliError::Timeout(_) => "timeout",
            CliError::Io { .. } => "io",
            CliError::Node(_) => "node_stopped",
            CliError::Unfilled(_) => "unfilled",
            CliError::Refused { .. } => "refused_locally",
            CliError::Explained { rejected, .. } => rejected.kind(),
        }
    }

    /// The node's or protocol's numeric error code, if it gave one.
    pub(crate) fn node_code(&self) -> Option<i64> {
        match self {
            CliError::Rpc { code, .. } | CliError::Rejected { code, .. } => Some(*code),
            CliError::Explained { rejected, .. } => rejected.node_code(),
            _ => None,
        }
    }

    /// A one-line suggestion of what to do, if there is one.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            CliError::Refused { hint, .. } | CliError::Explained { hint, .. } => hint.clone(),
            CliError::Unreachable { .. } => Some("start one with `novation devnet`, or pass --rpc URL".into()),
            _ => None,
        }
    }

    /// The error as `{"error": {"code", "node_code", "message", "hint"}}` for `--json`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"error": {
            "code": self.kind(),
            "node_code": self.node_code(),
            "message": self.to_string(),
            "hint": self.hint(),
        }})
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
            CliError::Refused { message, .. } => write!(f, "{message} (nothing was sent)"),
            CliError::Explained { rejected, numbers, .. } => match numbers {
                Some(numbers) => write!(f, "{rejected}: {numbers}"),
                None => write!(f, "{rejected}"),
            },
        }
    }
}

impl std::error::Error for CliError {}

/// The result of a command.
pub(crate) type CliResult<T> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_refusal_exits_2_and_says_nothing_was_sent() {
        let error = CliError::refused("subaccount 200 is out of range 0..=127", "use --subaccount 0 to 127");
        assert_eq!(error.exit_code(), EXIT_USAGE);
        assert_eq!(error.to_string(), "subaccount 200 is out of range 0..=127 (nothing was sent)");
        let json = error.to_json();
        assert_eq!(json["error"]["code"], "refused_locally");
        assert_eq!(json["error"]["hint"], "use --subaccount 0 to 127");
        assert!(json["error"]["node_code"].is_null());
    }

    #[test]
    fn an_explained_rejection_keeps_the_protocol_code_and_adds_numbers_and_a_hint() {
        let rejected =
            CliError::Rejected { code: 8, message: "initial margin would not hold".into(), action_index: Some(0) };
        let error = CliError::Explained {
            rejected: Box::new(rejected),
            numbers: Some("free collateral 10 USD, needs about 65 USD".into()),
            hint: Some("deposit more or reduce size".into()),
        };
        assert_eq!(error.exit_code(), EXIT_FAILURE);
        assert_eq!(
            error.to_string(),
            "transaction rejected: error 8: initial margin would not hold (action 0): free collateral 10 USD, needs about 65 USD"
        );
        let json = error.to_json();
        assert_eq!((json["error"]["code"].as_str(), json["error"]["node_code"].as_i64()), (Some("rejected"), Some(8)));
        assert_eq!(json["error"]["hint"], "deposit more or reduce size");
    }
}
