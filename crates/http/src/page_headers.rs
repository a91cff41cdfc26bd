//! What every server-rendered HTML surface answers with — the portal and the Flexiti widget —
//! so a page that shows secrets or card-adjacent data can be neither framed, sniffed, cached nor
//! made to load anything from elsewhere. Each surface brings its own Content-Security-Policy:
//! the widget's forms end at the merchant's return URL, the portal's never leave it.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Sets the page headers on `resp`; a `Cache-Control` the handler chose is kept.
pub(crate) fn secure(resp: &mut Response, csp: &'static str) {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// A surface's own stylesheet (no external assets anywhere).
pub(crate) fn stylesheet(css: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        css,
    )
        .into_response()
}
