//! A blocking JSON-RPC 2.0 client over HTTP for the node's API (docs/api.md). Transport
//! failures become "cannot reach the node", JSON-RPC errors keep their stable code.

use std::time::Duration;

use serde_json::{json, Value};

use crate::error::{CliError, CliResult};

/// How long to wait for a TCP connection to the node.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long to wait for a whole answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP form of an RPC address as the user typed it.
pub(crate) fn http_url(url: &str) -> String {
    let trimmed = url.trim();
    if let Some(rest) = trimmed.strip_prefix("ws://") {
        format!("http://{rest}")
    } else if let Some(rest) = trimmed.strip_prefix("wss://") {
        format!("https://{rest}")
    } else if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        trimmed.to_string()
    } else {
        format!("http://{trimmed}")
    }
}

/// A connection to one node's JSON-RPC endpoint.
pub(crate) struct RpcClient {
    url: String,
    agent: ureq::Agent,
}

impl RpcClient {
    /// A client of the node at `url`: `http(s)://host:port`, `ws(s)://host:port` (the same
    /// port serves both) or a bare `host:port`.
    pub(crate) fn new(url: &str) -> Self {
        let agent = ureq::AgentBuilder::new().timeout_connect(CONNECT_TIMEOUT).timeout(REQUEST_TIMEOUT).build();
        RpcClient { url: http_url(url), agent }
    }

    /// Calls `method` with positional `params` and returns its `result`.
    pub(crate) fn call(&self, method: &str, params: Value) -> CliResult<Value> {
        let request = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let response =
            self.agent.post(&self.url).set("Content-Type", "application/json").send_string(&request.to_string());
        let body = match response {
            Ok(response) => self.read_body(response)?,
            // Some servers answer a JSON-RPC error with an HTTP error status: read it anyway.
            Err(ureq::Error::Status(status, response)) => {
                let body = self.read_body(response)?;
                if serde_json::from_str::<Value>(&body).map(|v| v.get("error").is_none()).unwrap_or(true) {
                    return Err(CliError::BadResponse(format!("HTTP status {status} from {}: {body}", self.url)));
                }
                body
            }
            Err(ureq::Error::Transport(transport)) => {
                return Err(CliError::Unreachable { url: self.url.clone(), detail: transport.to_string() })
            }
        };
        parse_response(&body)
    }

    fn read_body(&self, response: ureq::Response) -> CliResult<String> {
        response.into_string().map_err(|e| CliError::Unreachable { url: self.url.clone(), detail: e.to_string() })
    }
}

/// The `result` of a JSON-RPC response text, or its `error` as [`CliError::Rpc`].
pub(crate) fn parse_response(body: &str) -> CliResult<Value> {
    let value: Value = serde_json::from_str(body)
        .map_err(|e| CliError::BadResponse(format!("not JSON ({e}): {}", truncate(body, 200))))?;
    if let Some(error) = value.get("error").filter(|error| !error.is_null()) {
        let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = error.get("message").and_then(Value::as_str).unwrap_or("(no message)").to_string();
        return Err(CliError::Rpc { code, message });
    }
    match value.get("result") {
        Some(result) => Ok(result.clone()),
        None => Err(CliError::BadResponse(format!("no result: {}", truncate(body, 200)))),
    }
}

fn truncate(text: &str, chars_max: usize) -> String {
    match text.char_indices().nth(chars_max) {
        Some((index, _)) => format!("{}…", &text[..index]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_returned() {
        assert_eq!(parse_response(r#"{"jsonrpc":"2.0","id":1,"result":{"height":3}}"#).unwrap(), json!({"height": 3}));
        assert_eq!(parse_response(r#"{"jsonrpc":"2.0","id":1,"result":null}"#).unwrap(), Value::Null);
    }

    #[test]
    fn an_error_keeps_its_code_and_message() {
        let error = parse_response(r#"{"jsonrpc":"2.0","id":1,"error":{"code":1005,"message":"wrong chain"}}"#);
        match error {
            Err(CliError::Rpc { code, message }) => assert_eq!((code, message.as_str()), (1005, "wrong chain")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garbage_is_a_bad_response() {
        assert!(matches!(parse_response("<html>"), Err(CliError::BadResponse(_))));
        assert!(matches!(parse_response("{}"), Err(CliError::BadResponse(_))));
    }

    #[test]
    fn a_closed_port_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let client = RpcClient::new(&format!("http://127.0.0.1:{port}"));
        let error = client.call("nov_status", json!([])).unwrap_err();
        assert!(matches!(error, CliError::Unreachable { .. }), "{error:?}");
        assert!(error.to_string().contains("is `novation devnet` running?"));
    }
}

#[cfg(test)]
mod address_tests {
    use super::http_url;

    #[test]
    fn every_address_form_becomes_the_same_http_endpoint() {
        assert_eq!(http_url("127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(http_url("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(http_url("ws://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(http_url("wss://node.example:443"), "https://node.example:443");
        assert_eq!(http_url("https://node.example"), "https://node.example");
        assert_eq!(http_url(" localhost:26000 "), "http://localhost:26000");
    }
}
