//! IP networks as operators write them: a CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or one
//! address. Two lists are written this way — the proxies whose forwarded headers are believed,
//! and the networks a Flexiti client may call from — and one parser keeps them accepting the
//! same spellings. A block is kept as its network (`10.1.2.3/8` means `10.0.0.0/8`), and
//! addresses are compared in canonical form, so an IPv4 client seen through an IPv6 socket
//! (`::ffff:10.0.0.1`) matches `10.0.0.0/8`.

pub use ipnet::IpNet;
use std::net::IpAddr;

/// One entry: a CIDR block or a single address (a /32 or /128), surrounding spaces ignored.
pub fn parse(entry: &str) -> Option<IpNet> {
    let entry = entry.trim();
    entry
        .parse::<IpNet>()
        .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
        .ok()
        .map(|n| n.trunc())
}

/// Every entry, or the first one that is neither an address nor a block.
pub fn parse_all<S: AsRef<str>>(
    entries: impl IntoIterator<Item = S>,
) -> Result<Vec<IpNet>, String> {
    entries
        .into_iter()
        .map(|e| parse(e.as_ref()).ok_or_else(|| e.as_ref().trim().to_string()))
        .collect()
}

/// Whether `ip` lies in one of `nets`.
pub fn contains(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    nets.iter().any(|n| n.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_and_single_addresses() {
        let nets = parse_all([" 10.1.2.3/8", "192.0.2.7", "2001:db8::/32", "::1"]).unwrap();
        let shown: Vec<String> = nets.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128"]
        );
        assert!(contains(&nets, ip("10.200.0.1")));
        assert!(contains(&nets, ip("192.0.2.7")));
        assert!(!contains(&nets, ip("192.0.2.8")));
        assert!(contains(&nets, ip("2001:db8:1::5")));
        assert!(!contains(&nets, ip("2001:db9::1")));
        assert!(
            !contains(&[], ip("10.0.0.1")),
            "an empty list holds nothing"
        );
    }

    #[test]
    fn an_ipv4_client_through_an_ipv6_socket_is_the_ipv4_client() {
        let nets = parse_all(["10.0.0.0/8"]).unwrap();
        assert!(contains(&nets, ip("::ffff:10.0.0.1")));
    }

    #[test]
    fn the_first_bad_entry_is_named() {
        assert_eq!(
            parse_all(["10.0.0.0/8", " 10.0.0.0/33 ", "host.example"]),
            Err("10.0.0.0/33".into())
        );
        assert_eq!(parse_all([""]), Err(String::new()));
        assert!(parse("999.1.1.1").is_none());
        assert!(parse("10.0.0.0/8/8").is_none());
    }
}
