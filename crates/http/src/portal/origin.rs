//! The cross-site check of portal POSTs. An origin is a scheme, a host and a port, and all
//! three must match: comparing the host alone let `https://` pages post to an `http://` portal
//! (or the reverse), and a client-sent `X-Forwarded-Host` could name whatever host its
//! `Origin` had. The server's own origin is the one the browser used — as a trusted proxy
//! reports it (see [`crate::client`]), else the connection's (plain HTTP) and its `Host`.

use crate::client::{self, TrustedProxies};
use axum::http::request::Parts;
use axum::http::uri::{Authority, Uri};
use axum::http::{HeaderValue, header};

/// Scheme, lower-cased host and port (the scheme's default when absent).
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: &'static str,
    host: String,
    port: u16,
}

impl Origin {
    fn new(scheme: &str, authority: &Authority) -> Option<Self> {
        let (scheme, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "http" => ("http", 80),
            "https" => ("https", 443),
            _ => return None,
        };
        if authority.as_str().contains('@') {
            return None;
        }
        Some(Self {
            scheme,
            host: authority.host().to_ascii_lowercase(),
            port: authority.port_u16().unwrap_or(default_port),
        })
    }

    /// An `Origin` header: `scheme://host[:port]`, nothing more (`null` is no origin).
    fn parse(value: &HeaderValue) -> Option<Self> {
        let text = value.to_str().ok()?;
        let uri: Uri = text.parse().ok()?;
        if uri.path_and_query().is_some_and(|p| p.as_str() != "/") || text.ends_with('/') {
            return None;
        }
        Self::new(uri.scheme_str()?, uri.authority()?)
    }

    /// This server's origin as the client addressed it.
    fn of_request(parts: &Parts, trusted: &TrustedProxies) -> Option<Self> {
        let authority: Authority = client::host(parts, trusted)?.parse().ok()?;
        Self::new(client::scheme(parts, trusted), &authority)
    }
}

/// A POST without `Origin` (older clients) is judged by its CSRF token alone; one with an
/// `Origin` must name this server's origin exactly.
pub fn same_origin(parts: &Parts, trusted: &TrustedProxies) -> bool {
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return true;
    };
    match (Origin::parse(origin), Origin::of_request(parts, trusted)) {
        (Some(theirs), Some(ours)) => theirs == ours,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> Option<Origin> {
        Origin::parse(&HeaderValue::from_str(s).unwrap())
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        let plain = origin("http://Shop.Example").unwrap();
        assert_eq!(
            (plain.scheme, plain.host.as_str(), plain.port),
            ("http", "shop.example", 80)
        );
        assert_eq!(origin("https://shop.example").unwrap().port, 443);
        assert_eq!(origin("https://[::1]:8443").unwrap().host, "[::1]");
        for bad in [
            "null",
            "shop.example",
            "ftp://shop.example",
            "http://shop.example/x",
            "http://a@shop.example",
            "http://shop.example/",
        ] {
            assert!(origin(bad).is_none(), "{bad}");
        }
    }
}
