//! Repeated slashes in a request path are merged before routing, for every dialect. Real
//! clients join a base URL ending in `/` with a path starting with `/` (the vendor's own
//! FlexFactor sample builds `…/v1//outcome`), and the web servers the vendors run behind merge
//! such slashes; without this, those clients would get 404 from openflex alone.
//!
//! Only the path changes: the query string is passed on byte for byte, and an encoded slash
//! (`%2F`) is data, not a separator, so it is left alone.

use axum::extract::{OriginalUri, Request};
use axum::http::Uri;
use axum::http::uri::PathAndQuery;

/// `path` with every run of `/` reduced to one, or `None` when it has no run.
pub fn collapse(path: &str) -> Option<String> {
    if !path.contains("//") {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    Some(out)
}

/// The request with its path's slashes merged (see the module doc). The dialects that echo the
/// path they were called on (Flexiti's `url`) read [`OriginalUri`], so it is set to the merged
/// URI as well: one request, one path.
pub async fn merge(mut req: Request) -> Request {
    let Some(path) = collapse(req.uri().path()) else {
        return req;
    };
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut parts = req.uri().clone().into_parts();
    // A path rebuilt from a valid one, minus slashes, is valid: the fallback never runs.
    let Ok(pq) = PathAndQuery::try_from(path_and_query) else {
        return req;
    };
    parts.path_and_query = Some(pq);
    if let Ok(uri) = Uri::from_parts(parts) {
        req.extensions_mut().insert(OriginalUri(uri.clone()));
        *req.uri_mut() = uri;
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_slashes_become_one() {
        assert_eq!(collapse("/v1//outcome").as_deref(), Some("/v1/outcome"));
        assert_eq!(
            collapse("//v1///orders//abc/refund").as_deref(),
            Some("/v1/orders/abc/refund")
        );
        assert_eq!(collapse("//").as_deref(), Some("/"));
        assert_eq!(collapse("/v1/orders/").as_deref(), None);
        assert_eq!(collapse("/v1/orders").as_deref(), None);
        assert_eq!(
            collapse("/a/%2F%2Fb").as_deref(),
            None,
            "encoded slashes are data"
        );
    }

    #[tokio::test]
    async fn the_query_string_is_kept_byte_for_byte() {
        let req = Request::builder()
            .uri("http://h/v1//orders?status=5%2C2&query=a//b&x=%2F%2F")
            .body(axum::body::Body::empty())
            .unwrap();
        let req = merge(req).await;
        assert_eq!(
            req.uri().to_string(),
            "http://h/v1/orders?status=5%2C2&query=a//b&x=%2F%2F"
        );
        assert_eq!(
            req.extensions().get::<OriginalUri>().map(|u| u.0.path()),
            Some("/v1/orders")
        );
        let plain = Request::builder()
            .uri("/api/test?a=1")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(merge(plain).await.uri(), "/api/test?a=1");
    }
}
