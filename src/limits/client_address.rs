//! The client's address behind reverse proxies. A forwarding header is
//! believed only from a trusted proxy (`limits.trusted_proxies`), and only
//! as far as the chain of trusted hops goes: walking from the right (the
//! nearest hop) past every trusted address, the first untrusted one is the
//! client (as nginx `real_ip_recursive`, Traefik and Rails do). Whatever a
//! client writes at the left of the chain itself is never reached while a
//! trusted proxy appended the address it saw.
//!
//! The header is `limits.client_ip_header` (`X-Forwarded-For`, or any
//! header that lists addresses) or, unset, the standard `Forwarded`
//! (RFC 7239 §4, its `for=` parameters).

use actix_web::http::header::{HeaderMap, HeaderName};
use ipnet::IpNet;
use std::net::IpAddr;

/// Where the client's address comes from.
#[derive(Debug, Clone, Default)]
pub struct ClientAddress {
    /// Proxies whose forwarding headers are believed.
    pub trusted: Vec<IpNet>,
    /// The header they set; `None`: RFC 7239 `Forwarded`.
    pub header: Option<HeaderName>,
}

/// What one request's address turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub client: IpAddr,
    /// The request carried a forwarding header that was not believed: its
    /// peer is not a trusted proxy.
    pub untrusted_forwarding: bool,
}

impl ClientAddress {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn of(&self, peer: IpAddr, headers: &HeaderMap) -> Seen {
        let forwarded = headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded");
        if !self.trusts(peer) {
            return Seen { client: peer, untrusted_forwarding: forwarded };
        }
        let chain = match &self.header {
            Some(name) if name.as_str() == "forwarded" => forwarded_for(headers),
            Some(name) => listed(headers, name),
            None => forwarded_for(headers),
        };
        // From the nearest hop leftwards, past every trusted address; a
        // value that is not an address ends the walk at the hop that wrote it.
        let mut client = peer;
        for hop in chain.iter().rev() {
            match hop {
                Some(ip) => {
                    client = *ip;
                    if !self.trusts(*ip) {
                        break;
                    }
                }
                None => break,
            }
        }
        Seen { client, untrusted_forwarding: false }
    }
}

/// Every value of a comma-separated address list header, in order; each
/// address may carry a port (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn listed(headers: &HeaderMap, name: &HeaderName) -> Vec<Option<IpAddr>> {
    headers
        .get_all(name)
        .flat_map(|v| v.to_str().unwrap_or("").split(',').map(|s| address(s.trim())).collect::<Vec<_>>())
        .collect()
}

/// RFC 7239 §4: `Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::1]:8080"`.
/// An element without `for=`, or `for=unknown` / an obfuscated identifier
/// (§6.2–6.3), is not an address.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut out = Vec::new();
    for value in headers.get_all("forwarded") {
        for element in value.to_str().unwrap_or("").split(',') {
            let node = element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                .map(|(_, v)| v.trim().trim_matches('"'));
            out.push(node.and_then(address));
        }
    }
    out
}

/// An address, with or without a port; IPv6 in brackets when it has one.
fn address(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_static(k), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn behind(trusted: &[&str], header: Option<&'static str>) -> ClientAddress {
        ClientAddress {
            trusted: trusted.iter().map(|n| n.parse().unwrap()).collect(),
            header: header.map(HeaderName::from_static),
        }
    }

    #[test]
    fn the_chain_is_walked_from_the_right_past_trusted_hops_and_a_spoofed_left_value_is_never_reached() {
        let kit = behind(&["10.0.0.0/8"], Some("x-forwarded-for"));
        // The client wrote "203.0.113.9" itself; the ingress appended what it saw.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 198.51.100.7, 10.1.2.3")]);
        assert_eq!(kit.of(ip("10.0.0.5"), &h).client, ip("198.51.100.7"));
        // Two header lines count as one list.
        let h = headers(&[("x-forwarded-for", "203.0.113.9"), ("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(kit.of(ip("10.0.0.5"), &h).client, ip("198.51.100.7"));
        // Every hop trusted: the leftmost is the client.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.1.2.3")]);
        assert_eq!(kit.of(ip("10.0.0.5"), &h).client, ip("10.9.9.9"));
        // Garbage ends the walk at the hop that wrote it.
        let h = headers(&[("x-forwarded-for", "198.51.100.7, not-an-ip, 10.1.2.3")]);
        assert_eq!(kit.of(ip("10.0.0.5"), &h).client, ip("10.1.2.3"));
        // No header from a trusted proxy: the proxy itself.
        assert_eq!(kit.of(ip("10.0.0.5"), &HeaderMap::new()).client, ip("10.0.0.5"));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let kit = behind(&["10.0.0.0/8"], Some("x-forwarded-for"));
        let h = headers(&[("x-forwarded-for", "10.1.1.1")]);
        let seen = kit.of(ip("198.51.100.7"), &h);
        assert_eq!(seen, Seen { client: ip("198.51.100.7"), untrusted_forwarding: true });
        let none = behind(&[], None);
        let h = headers(&[("forwarded", "for=10.1.1.1")]);
        assert_eq!(none.of(ip("192.0.2.1"), &h), Seen { client: ip("192.0.2.1"), untrusted_forwarding: true });
        assert!(!none.of(ip("192.0.2.1"), &HeaderMap::new()).untrusted_forwarding);
    }

    #[test]
    fn rfc_7239_forwarded_with_ports_quotes_and_unknown_nodes() {
        let kit = behind(&["10.0.0.0/8", "fd00::/8"], None);
        let h =
            headers(&[("forwarded", "for=203.0.113.9, for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.2")]);
        assert_eq!(kit.of(ip("fd00::1"), &h).client, ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "for=192.0.2.43:8080;by=10.0.0.1")]);
        assert_eq!(kit.of(ip("10.0.0.1"), &h).client, ip("192.0.2.43"));
        // §6.2: `unknown` is no address; the walk ends at the trusted hop.
        let h = headers(&[("forwarded", "for=unknown, for=10.0.0.2")]);
        assert_eq!(kit.of(ip("10.0.0.1"), &h).client, ip("10.0.0.2"));
        // Header names are case-insensitive; so is `for`.
        let h = headers(&[("forwarded", "For=198.51.100.1")]);
        assert_eq!(kit.of(ip("10.0.0.1"), &h).client, ip("198.51.100.1"));
    }
}
