//! Which addresses the server may call on a merchant's behalf. A webhook URL is chosen by
//! whoever holds a portal session or the admin token, and the server both connects to it and
//! logs what it answers: pointed at the server's own network, it would read internal services
//! for the caller (SSRF). So only globally reachable unicast addresses are fair targets, and
//! the IANA special-purpose registries (RFC 6890 and successors) say which are not.
//!
//! IPv6 forms that carry an IPv4 address (IPv4-mapped and -compatible, NAT64 `64:ff9b::/96`,
//! 6to4 `2002::/16`) are judged by the address they carry, since that is where the packets go.
//! Std's `is_global`, `is_shared`, `is_benchmarking` and `is_reserved` are not stable yet, so
//! the blocks they would cover are listed here as prefixes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 special-purpose blocks that std has no stable test for.
const V4_BLOCKS: &[(Ipv4Addr, u32)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),      // "this network" (RFC 791)
    (Ipv4Addr::new(100, 64, 0, 0), 10),  // shared address space, carrier-grade NAT (RFC 6598)
    (Ipv4Addr::new(192, 0, 0, 0), 24),   // IETF protocol assignments (RFC 6890)
    (Ipv4Addr::new(192, 88, 99, 0), 24), // 6to4 relay anycast (RFC 7526)
    (Ipv4Addr::new(198, 18, 0, 0), 15),  // benchmarking (RFC 2544)
    (Ipv4Addr::new(240, 0, 0, 0), 4),    // reserved, with the broadcast address (RFC 1112)
];

/// IPv6 special-purpose blocks inside global unicast `2000::/3` (everything outside it is
/// refused anyway: loopback, unique-local, link-local, multicast, discard, local NAT64…).
const V6_BLOCKS: &[(Ipv6Addr, u32)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments, Teredo (RFC 2928)
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation (RFC 3849)
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation (RFC 9637)
];

/// NAT64 well-known prefix (RFC 6052): the last 32 bits are the IPv4 destination.
const NAT64: (Ipv6Addr, u32) = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);
/// 6to4 (RFC 3056): bits 16..48 are the IPv4 address of the site.
const SIX_TO_FOUR: (Ipv6Addr, u32) = (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16);
/// Global unicast (RFC 4291).
const GLOBAL_UNICAST: (Ipv6Addr, u32) = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

/// Whether the top `len` bits of `addr` and `net` (both `bits` wide) agree.
fn within(addr: u128, net: u128, len: u32, bits: u32) -> bool {
    (addr ^ net) >> (bits - len) == 0
}

fn in_v4(ip: Ipv4Addr, (net, len): (Ipv4Addr, u32)) -> bool {
    within(u32::from(ip).into(), u32::from(net).into(), len, 32)
}

fn in_v6(ip: Ipv6Addr, (net, len): (Ipv6Addr, u32)) -> bool {
    within(u128::from(ip), u128::from(net), len, 128)
}

/// True unless `ip` is a globally reachable unicast address: private, loopback, link-local,
/// shared (CGN), benchmarking, documentation, multicast, reserved, unspecified, and IPv6 forms
/// carrying such an IPv4 address.
pub fn is_special_purpose(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_special(v4),
        IpAddr::V6(v6) => v6_special(v6),
    }
}

fn v4_special(ip: Ipv4Addr) -> bool {
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || V4_BLOCKS.iter().any(|&block| in_v4(ip, block))
}

fn v6_special(ip: Ipv6Addr) -> bool {
    if ip.is_unspecified() || ip.is_loopback() {
        return true;
    }
    if let Some(v4) = embedded_v4(ip) {
        return v4_special(v4);
    }
    ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || !in_v6(ip, GLOBAL_UNICAST)
        || V6_BLOCKS.iter().any(|&block| in_v6(ip, block))
}

/// The IPv4 address an IPv6 address stands for, where it stands for one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    if in_v6(ip, NAT64) {
        return Some(Ipv4Addr::from(bits as u32));
    }
    if in_v6(ip, SIX_TO_FOUR) {
        return Some(Ipv4Addr::from((bits >> 80) as u32));
    }
    // IPv4-mapped (`::ffff:a.b.c.d`) and the deprecated IPv4-compatible (`::a.b.c.d`).
    ip.to_ipv4()
}

/// Special-use domain suffixes that never name a public host (RFC 6761, 6762, 8375, and the
/// ICANN-reserved `.internal`).
const LOCAL_SUFFIXES: &[&str] = &[".localhost", ".local", ".home.arpa", ".internal"];

/// True for a host name that can only mean this machine or its local network: `localhost`
/// and other single labels (resolved through `/etc/hosts` or the resolver's search domains),
/// special-use suffixes, each with or without the trailing dot of an absolute name.
pub fn is_local_name(host: &str) -> bool {
    let name = host.strip_suffix('.').unwrap_or(host);
    let lower = name.to_ascii_lowercase();
    !lower.contains('.') || LOCAL_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row per special-purpose range: an address inside it, and why it is there.
    const SPECIAL: &[(&str, &str)] = &[
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "this network 0/8"),
        ("10.1.2.3", "private 10/8"),
        ("100.64.0.1", "shared 100.64/10, low end"),
        ("100.127.255.254", "shared 100.64/10, high end"),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback 127/8"),
        ("169.254.169.254", "link-local, cloud metadata"),
        ("172.16.0.1", "private 172.16/12"),
        ("172.31.255.255", "private 172.16/12, high end"),
        ("192.0.0.8", "IETF protocol assignments 192.0.0/24"),
        ("192.0.2.1", "documentation TEST-NET-1"),
        ("192.88.99.1", "6to4 relay anycast"),
        ("192.168.1.1", "private 192.168/16"),
        ("198.18.0.1", "benchmarking 198.18/15"),
        ("198.19.255.255", "benchmarking 198.18/15, high end"),
        ("198.51.100.7", "documentation TEST-NET-2"),
        ("203.0.113.7", "documentation TEST-NET-3"),
        ("224.0.0.1", "multicast 224/4"),
        ("239.255.255.250", "multicast 224/4, high end"),
        ("240.0.0.1", "reserved 240/4"),
        ("255.255.255.255", "broadcast"),
        ("::", "IPv6 unspecified"),
        ("::1", "IPv6 loopback"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
        ("::ffff:169.254.169.254", "IPv4-mapped link-local"),
        ("::127.0.0.1", "IPv4-compatible loopback"),
        ("::10.0.0.1", "IPv4-compatible private"),
        ("64:ff9b::7f00:1", "NAT64 of loopback"),
        ("64:ff9b::a00:1", "NAT64 of 10.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "NAT64 of the metadata address"),
        ("64:ff9b:1::1", "local-use NAT64 64:ff9b:1::/48"),
        ("2002:7f00:1::1", "6to4 of loopback"),
        ("2002:c0a8:101::1", "6to4 of 192.168.1.1"),
        ("2002:a00:1::", "6to4 of 10.0.0.1"),
        ("100::1", "discard-only 100::/64"),
        ("2001::1", "Teredo 2001::/32"),
        ("2001:2::1", "benchmarking 2001:2::/48"),
        ("2001:db8::1", "documentation 2001:db8::/32"),
        ("3fff::1", "documentation 3fff::/20"),
        ("fc00::1", "unique-local fc00::/7"),
        ("fd12:3456::1", "unique-local fd00::/8"),
        ("fe80::1", "link-local fe80::/10"),
        ("fec0::1", "deprecated site-local fec0::/10"),
        ("ff02::1", "multicast ff00::/8"),
    ];

    const PUBLIC: &[&str] = &[
        "8.8.8.8",
        "1.1.1.1",
        "100.63.255.255",
        "100.128.0.1",
        "172.32.0.1",
        "198.17.255.255",
        "198.20.0.1",
        "223.255.255.254",
        "2606:4700::1111",
        "2a00:1450:4001::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ];

    #[test]
    fn every_special_purpose_range_is_refused() {
        for (ip, why) in SPECIAL {
            assert!(is_special_purpose(ip.parse().unwrap()), "{ip}: {why}");
        }
    }

    #[test]
    fn public_unicast_addresses_are_allowed() {
        for ip in PUBLIC {
            assert!(!is_special_purpose(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn local_names_are_recognised_with_or_without_the_trailing_dot() {
        for host in [
            "localhost",
            "localhost.",
            "LOCALHOST",
            "intranet",
            "intranet.",
            "app.localhost",
            "app.localhost.",
            "printer.local",
            "nas.home.arpa",
            "db.internal",
            "",
            ".",
        ] {
            assert!(is_local_name(host), "{host:?}");
        }
        for host in ["example.com", "example.com.", "hooks.localhost-shop.com"] {
            assert!(!is_local_name(host), "{host:?}");
        }
    }
}
