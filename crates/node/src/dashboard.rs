//! `GET /dashboard`: the system-health page in the browser, served by an HTTP middleware in
//! front of the JSON-RPC service, like `/metrics` (docs/dashboard.md).
//!
//! The page is a fixed set of static files embedded in the binary at build time (HTML, CSS,
//! the page's script and the vendored uPlot charting library, MIT): no build step, nothing
//! fetched from the network, no file system access at run time. A request is answered by an
//! exact match of its path against [`ASSETS`], so no path can name anything else (`..`,
//! percent-encoding and the like simply do not match). The page reads the chain only through
//! the public JSON-RPC/WebSocket API on the same port.
//!
//! ```text
//!  /dashboard, /dashboard/ ─► index.html      GET, HEAD ─► 200 with the asset
//!  /dashboard/<asset>      ─► ASSETS lookup   other methods ─► 405 (Allow: GET, HEAD)
//!  /dashboard/<anything else> ─► 404          any other path ─► the next service
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The path prefix every dashboard file lives under.
const PREFIX: &str = "/dashboard";

/// One embedded file of the dashboard.
#[derive(Debug)]
pub(crate) struct Asset {
    /// Exact request path.
    pub(crate) path: &'static str,
    /// `Content-Type` header value.
    pub(crate) content_type: &'static str,
    /// The file's bytes.
    pub(crate) body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Every path the dashboard answers, and nothing else.
pub(crate) const ASSETS: [Asset; 8] = [
    Asset { path: "/dashboard", content_type: HTML, body: include_bytes!("../dashboard/index.html") },
    Asset { path: "/dashboard/", content_type: HTML, body: include_bytes!("../dashboard/index.html") },
    Asset { path: "/dashboard/app.js", content_type: JAVASCRIPT, body: include_bytes!("../dashboard/app.js") },
    Asset { path: "/dashboard/style.css", content_type: CSS, body: include_bytes!("../dashboard/style.css") },
    Asset {
        path: "/dashboard/vendor/uPlot.iife.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../dashboard/vendor/uplot/uPlot.iife.min.js"),
    },
    Asset {
        path: "/dashboard/vendor/uPlot.min.css",
        content_type: CSS,
        body: include_bytes!("../dashboard/vendor/uplot/uPlot.min.css"),
    },
    Asset {
        path: "/dashboard/vendor/uPlot.LICENSE",
        content_type: TEXT,
        body: include_bytes!("../dashboard/vendor/uplot/LICENSE"),
    },
    Asset {
        path: "/dashboard/vendor/README.md",
        content_type: TEXT,
        body: include_bytes!("../dashboard/vendor/uplot/README.md"),
    },
];

/// Whether `path` belongs to the dashboard (answered here, found or not).
fn is_dashboard_path(path: &str) -> bool {
    path == PREFIX || path.strip_prefix(PREFIX).is_some_and(|rest| rest.starts_with('/'))
}

/// The asset at exactly `path`.
pub(crate) fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// A `Host` header value fit to appear in a CSP source (host names, addresses, a port);
/// anything else is left out of the policy rather than quoted into it.
fn csp_host(host: &str) -> Option<&str> {
    let fits = !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    fits.then_some(host)
}

/// The Content-Security-Policy of every dashboard answer: scripts, styles and images from
/// this origin only, connections to this origin and its WebSocket, no frames, no forms, no
/// plugins. (`'self'` covers `ws:` of the same host in CSP 3; the explicit WebSocket sources
/// are for browsers that predate it.)
fn content_security_policy(host: Option<&str>) -> String {
    let sockets = host.and_then(csp_host).map(|h| format!(" ws://{h} wss://{h}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{sockets}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

fn with_status(status: http::StatusCode, body: &'static str) -> HttpResponse {
    let mut response = HttpResponse::new(HttpBody::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(TEXT));
    response
}

/// The answer to a request whose path is the dashboard's.
pub(crate) fn respond(method: &http::Method, path: &str, host: Option<&str>) -> HttpResponse {
    let Some(asset) = asset(path) else {
        return with_status(http::StatusCode::NOT_FOUND, "not found\n");
    };
    let head = method == http::Method::HEAD;
    if method != http::Method::GET && !head {
        let mut response = with_status(http::StatusCode::METHOD_NOT_ALLOWED, "the dashboard answers GET and HEAD\n");
        response.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let body = if head { HttpBody::empty() } else { HttpBody::from(asset.body.to_vec()) };
    let mut response = HttpResponse::new(body);
    let headers = response.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(asset.content_type));
    headers.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(asset.body.len()));
    if let Ok(policy) = http::HeaderValue::from_str(&content_security_policy(host)) {
        headers.insert(http::header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(http::header::X_CONTENT_TYPE_OPTIONS, http::HeaderValue::from_static("nosniff"));
    headers.insert(http::header::REFERRER_POLICY, http::HeaderValue::from_static("no-referrer"));
    headers.insert(http::header::X_FRAME_OPTIONS, http::HeaderValue::from_static("DENY"));
    // The files change only with the binary; a browser revalidates rather than keep a stale page.
    headers.insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-cache"));
    response
}

/// Layer adding `/dashboard` in front of the RPC service.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DashboardLayer;

impl<S> tower::Layer<S> for DashboardLayer {
    type Service = DashboardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DashboardService { inner }
    }
}

/// The service of [`DashboardLayer`].
#[derive(Clone, Debug)]
pub(crate) struct DashboardService<S> {
    inner: S,
}

impl<S, B> tower::Service<HttpRequest<B>> for DashboardService<S>
where
    S: tower::Service<HttpRequest<B>, Response = HttpResponse>,
    S::Error: Into<BoxError> + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        if is_dashboard_path(request.uri().path()) {
            let host = request.headers().get(http::header::HOST).and_then(|v| v.to_str().ok());
            let response = respond(request.method(), request.uri().path(), host);
            return Box::pin(async move { Ok(response) });
        }
        let future = self.inner.call(request);
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_paths_are_assets() {
        assert!(asset("/dashboard").is_some());
        assert!(asset("/dashboard/app.js").is_some());
        for path in ["/dashboard/../metrics", "/dashboard/%2e%2e/metrics", "/dashboard//app.js", "/dashboard/APP.JS"] {
            assert!(asset(path).is_none(), "{path}");
            assert!(is_dashboard_path(path), "{path} is answered here (with 404)");
        }
        assert!(!is_dashboard_path("/dashboards"));
        assert!(!is_dashboard_path("/metrics"));
    }

    #[test]
    fn the_policy_names_only_this_host_and_drops_a_malformed_one() {
        let policy = content_security_policy(Some("127.0.0.1:8545"));
        assert!(policy.contains("connect-src 'self' ws://127.0.0.1:8545 wss://127.0.0.1:8545;"), "{policy}");
        assert!(policy.starts_with("default-src 'none';"));
        let policy = content_security_policy(Some("evil; script-src *"));
        assert!(policy.contains("connect-src 'self';"), "{policy}");
    }

    #[test]
    fn every_asset_has_a_body_and_the_page_names_only_listed_files() {
        for asset in &ASSETS {
            assert!(!asset.body.is_empty(), "{}", asset.path);
        }
        let page = std::str::from_utf8(ASSETS[0].body).unwrap();
        for reference in page.split(['"', '\'']).filter(|s| s.starts_with("/dashboard/")) {
            assert!(asset(reference).is_some(), "index.html refers to {reference}, which is not served");
        }
    }
}
