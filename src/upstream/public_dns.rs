//! Name resolution for picture fetches (the picture proxy's own HTTP
//! client, `startup::picture_client`): a listed host *name* may resolve
//! only to public addresses. `picture_hosts` is the first gate; this one
//! stops a name whose DNS answer points inside the network (loopback,
//! private, link-local, unique-local: DNS rebinding, a compromised zone)
//! from turning the proxy into a way in. The check is made where the
//! connection is made (the client's resolver), so an answer that changes
//! between a check and the connection cannot slip through.
//!
//! A host the operator listed as an IP literal is not resolved, and so is
//! allowed whatever its address: listing it is the operator's decision.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why a picture host's name was not connected to.
#[derive(Debug, thiserror::Error)]
#[error("the picture host's name resolves to a non-public address")]
pub struct NonPublicAddress;

/// Resolves with the system resolver, keeping public addresses only.
pub struct PublicOnly {
    /// Names allowed to resolve anywhere: the dev provider's own host
    /// (claimgate itself, on loopback by construction).
    exempt: HashSet<String>,
}

impl PublicOnly {
    pub fn new(exempt: impl IntoIterator<Item = String>) -> Self {
        Self { exempt: exempt.into_iter().map(|n| n.to_ascii_lowercase()).collect() }
    }
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let exempt = self.exempt.contains(&host);
        Box::pin(async move {
            // Port 0: the connector sets the URL's port on each address.
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| exempt || is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(NonPublicAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is a globally routable unicast address (RFC 6890's special
/// blocks excluded), IPv4-mapped and NAT64 addresses judged by their IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = a.segments();
            // 64:ff9b::/96, NAT64: the IPv4 address in its last 32 bits.
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public_v4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8));
            }
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_unique_local()
                || a.is_unicast_link_local()
                || (s[0] & 0xffc0) == 0xfec0 // site-local, deprecated
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || a == Ipv6Addr::from([0u8; 16]))
        }
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [b0, b1, ..] = a.octets();
    !(a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || b0 == 0
        || (b0 == 100 && (b1 & 0xc0) == 64) // 100.64.0.0/10, shared address space
        || (b0 == 192 && b1 == 0 && a.octets()[2] == 0) // 192.0.0.0/24, IETF protocol assignments
        || (b0 == 198 && (b1 & 0xfe) == 18) // 198.18.0.0/15, benchmarking
        || b0 >= 240) // 240.0.0.0/4, reserved
}

/// Whether `error`, or an error it was caused by, is [`NonPublicAddress`].
pub fn is_non_public(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<NonPublicAddress>() {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_global_unicast_addresses_are_public() {
        let private = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ];
        for ip in private {
            assert!(!is_public(ip.parse().unwrap()), "{ip} is not public");
        }
        for ip in ["142.250.74.110", "8.8.8.8", "2a00:1450:4001:82a::2001", "::ffff:8.8.8.8", "64:ff9b::808:808"] {
            assert!(is_public(ip.parse().unwrap()), "{ip} is public");
        }
    }
}
