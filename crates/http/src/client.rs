//! Who is asking, and what they asked for. Behind the TLS proxy the README recommends, every
//! request arrives from the proxy's address, so the client's own address (which failed-auth
//! budgets are kept by), the scheme and the host the browser used (which the portal's Origin
//! check and `Secure` cookie depend on) are known only from the proxy's `X-Forwarded-*`
//! headers. Those headers are believed only from peers in `trusted_proxies`: from anyone else
//! they are the client's own claims, and believing them would let it pick a fresh budget for
//! every request or name the origin it is checked against.

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The peers whose forwarded headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrustedProxiesError {
    #[error("trusted_proxies: {0:?} is neither an IP address nor a CIDR block")]
    NotAnAddress(String),
}

impl TrustedProxies {
    /// Parses addresses (`10.0.0.7`, `::1`) and CIDR blocks (`10.0.0.0/8`).
    pub fn parse<S: AsRef<str>>(
        entries: impl IntoIterator<Item = S>,
    ) -> Result<Self, TrustedProxiesError> {
        let nets =
            openflex_domain::cidr::parse_all(entries).map_err(TrustedProxiesError::NotAnAddress)?;
        Ok(Self(nets.into()))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        openflex_domain::cidr::contains(&self.0, ip)
    }
}

/// The address of the connection's other end (the server runs with connect info).
pub fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())
}

/// The client's address: the peer, unless the peer is a trusted proxy; then the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy (entries to its left were written
/// by the client and prove nothing). Should the list run out or hold something that is not an
/// address, the last address reached stands.
pub fn client_ip(parts: &Parts, trusted: &TrustedProxies) -> Option<IpAddr> {
    let mut client = peer_ip(parts)?;
    if !trusted.contains(client) {
        return Some(client);
    }
    let hops: Vec<&[u8]> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .collect();
    for hop in hops.into_iter().rev() {
        let Some(ip) = hop_address(hop) else { break };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`, `[::1]:5`).
fn hop_address(hop: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(hop).ok()?.trim();
    text.parse::<IpAddr>()
        .or_else(|_| text.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// `X-Forwarded-<name>` as the nearest proxy set it (its right-most value), when the peer is a
/// trusted proxy; `None` otherwise.
pub fn forwarded<'a>(parts: &'a Parts, trusted: &TrustedProxies, name: &str) -> Option<&'a str> {
    if !trusted.contains(peer_ip(parts)?) {
        return None;
    }
    let value = parts.headers.get_all(name).iter().next_back()?;
    let last = value.to_str().ok()?.rsplit(',').next()?.trim();
    (!last.is_empty()).then_some(last)
}

/// Marks a request that came over a TLS connection the server terminated itself (`tls_cert` /
/// `tls_key`); the accept loop inserts it beside the [`ConnectInfo`].
#[derive(Clone, Copy, Debug)]
pub struct TlsTerminated;

/// The scheme the client used. A trusted proxy's `X-Forwarded-Proto` speaks for the client's
/// leg of the trip (a proxy that takes plain HTTP and re-encrypts to openflex still says
/// `http`); without one, `https` when openflex terminated TLS itself.
pub fn scheme(parts: &Parts, trusted: &TrustedProxies) -> &'static str {
    match forwarded(parts, trusted, "x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        Some(_) => "http",
        None if parts.extensions.get::<TlsTerminated>().is_some() => "https",
        None => "http",
    }
}

/// The host (with port, if any) the client addressed: a trusted proxy's `X-Forwarded-Host`,
/// else `Host`, else the request target's authority (HTTP/2).
pub fn host<'a>(parts: &'a Parts, trusted: &TrustedProxies) -> Option<&'a str> {
    forwarded(parts, trusted, "x-forwarded-host")
        .or_else(|| {
            parts
                .headers
                .get(axum::http::header::HOST)
                .and_then(|v| v.to_str().ok())
        })
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, xff: &[&str]) -> Parts {
        let mut req = Request::builder().uri("/");
        for v in xff {
            req = req.header("x-forwarded-for", *v);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        let peer: IpAddr = peer.parse().unwrap();
        parts
            .extensions
            .insert(ConnectInfo(SocketAddr::new(peer, 40000)));
        parts
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_peers() {
        let trusted = TrustedProxies::parse(["10.0.0.0/8", "192.168.1.1"]).unwrap();
        // Not a proxy: its own address, whatever it claims.
        assert_eq!(
            client_ip(&parts("203.0.113.1", &["198.51.100.1"]), &trusted),
            ip("203.0.113.1")
        );
        // A proxy: the right-most address that is not a proxy.
        let chain = parts("10.0.0.1", &["1.1.1.1, 198.51.100.1, 192.168.1.1"]);
        assert_eq!(client_ip(&chain, &trusted), ip("198.51.100.1"));
        // Several header lines are one list.
        let lines = parts("10.0.0.1", &["1.1.1.1", "198.51.100.2:5555"]);
        assert_eq!(client_ip(&lines, &trusted), ip("198.51.100.2"));
        // Garbage stops the walk at the last address reached.
        let junk = parts("10.0.0.1", &["1.1.1.1, not-an-ip, 10.0.0.9"]);
        assert_eq!(client_ip(&junk, &trusted), ip("10.0.0.9"));
        // No header: the proxy itself.
        assert_eq!(client_ip(&parts("10.0.0.1", &[]), &trusted), ip("10.0.0.1"));
        // IPv6, and IPv4 seen through an IPv6 socket.
        let v6 = TrustedProxies::parse(["fd00::/8"]).unwrap();
        let p = parts("fd00::1", &["[2001:db8::1]:443"]);
        assert_eq!(client_ip(&p, &v6), ip("2001:db8::1"));
        let mapped = parts("::ffff:10.0.0.1", &["198.51.100.3"]);
        assert_eq!(client_ip(&mapped, &trusted), ip("198.51.100.3"));
    }

    #[test]
    fn the_scheme_is_the_proxys_word_else_the_connections() {
        let trusted = TrustedProxies::parse(["10.0.0.1"]).unwrap();
        let req = |peer: &str, proto: Option<&str>, tls: bool| {
            let mut p = parts(peer, &[]);
            if let Some(v) = proto {
                p.headers.insert("x-forwarded-proto", v.parse().unwrap());
            }
            if tls {
                p.extensions.insert(TlsTerminated);
            }
            scheme(&p, &trusted)
        };
        assert_eq!(req("203.0.113.1", None, false), "http");
        assert_eq!(req("203.0.113.1", None, true), "https");
        // A client's own claim proves nothing.
        assert_eq!(req("203.0.113.1", Some("https"), false), "http");
        assert_eq!(req("10.0.0.1", Some("HTTPS"), false), "https");
        // The proxy took plain HTTP and re-encrypted: the client's leg was plain.
        assert_eq!(req("10.0.0.1", Some("http"), true), "http");
        assert_eq!(req("10.0.0.1", None, true), "https");
    }

    #[test]
    fn nothing_is_trusted_by_default_and_bad_entries_are_refused() {
        let none = TrustedProxies::default();
        assert_eq!(
            client_ip(&parts("10.0.0.1", &["198.51.100.1"]), &none),
            ip("10.0.0.1")
        );
        assert_eq!(
            TrustedProxies::parse(["10.0.0.0/33"]).unwrap_err(),
            TrustedProxiesError::NotAnAddress("10.0.0.0/33".into())
        );
        assert!(TrustedProxies::parse(["proxy.example"]).is_err());
    }
}
