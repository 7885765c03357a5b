//! Keeps webhook deliveries from reaching the server's own network (SSRF protection).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

const MAX_LEN: usize = 2048;

// Cloud metadata services hand out credentials; refuse them by name even if DNS is odd.
const METADATA_HOSTS: &[&str] = &["metadata.google.internal", "metadata"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadUrl {
    #[error("must be a valid absolute URL")]
    Invalid,
    #[error("must be an http or https URL")]
    Scheme,
    #[error("must include a host")]
    NoHost,
    #[error("must not contain a username or password")]
    Credentials,
    #[error("must be at most {MAX_LEN} characters")]
    TooLong,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("names a host that could not be resolved ({0})")]
    Unresolvable(String),
    #[error(
        "resolves to a private, loopback or link-local address ({addr}), which webhooks may not reach"
    )]
    Private { host: String, addr: IpAddr },
    #[error("names a cloud metadata host ({0}), which webhooks may not reach")]
    MetadataHost(String),
}

/// Checks the shape of a webhook URL; where it points is checked by [`resolve`] at delivery time.
pub fn parse(url: &str) -> Result<Url, BadUrl> {
    // Checked before parsing too, so huge inputs are not parsed at all.
    if url.chars().count() > MAX_LEN {
        return Err(BadUrl::TooLong);
    }
    let parsed = Url::parse(url).map_err(|e| match e {
        url::ParseError::EmptyHost => BadUrl::NoHost,
        _ => BadUrl::Invalid,
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(BadUrl::Scheme);
    }
    if parsed.host().is_none() {
        return Err(BadUrl::NoHost);
    }
    // Credentials in a URL would be stored and shown in plain text.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(BadUrl::Credentials);
    }
    // Normalising can lengthen a URL (percent-encoding, punycode) past what was checked.
    if parsed.as_str().len() > MAX_LEN {
        return Err(BadUrl::TooLong);
    }
    Ok(parsed)
}

/// Resolves the URL's host and, unless `allow_private`, refuses it if any address is private:
/// DNS controlled by an attacker can return a public and a private address together.
/// Callers should connect only to the returned addresses, so a second lookup cannot swap
/// in another one (DNS rebinding).
pub async fn resolve(url: &Url, allow_private: bool) -> Result<Vec<SocketAddr>, Refused> {
    let host_name = url.host_str().unwrap_or_default().to_owned();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| Refused::Unresolvable(host_name.clone()))?;
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(Host::Domain(domain)) => {
            // A trailing dot names the same host, so it must not slip past the check.
            let bare = domain.trim_end_matches('.').to_ascii_lowercase();
            if METADATA_HOSTS.contains(&bare.as_str()) {
                return Err(Refused::MetadataHost(host_name));
            }
            tokio::net::lookup_host((domain, port))
                .await
                .map_err(|_| Refused::Unresolvable(host_name.clone()))?
                .collect()
        }
        None => Vec::new(),
    };
    if addrs.is_empty() {
        return Err(Refused::Unresolvable(host_name));
    }
    if !allow_private
        && let Some(addr) = addrs.iter().map(SocketAddr::ip).find(|ip| is_private(*ip))
    {
        return Err(Refused::Private {
            host: host_name,
            addr,
        });
    }
    Ok(addrs)
}

/// True for addresses a webhook must never reach unless private destinations are allowed.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0 // "this network", which Linux routes to the local host
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // includes the 169.254.169.254 metadata service
        || (a == 100 && (b & 0xc0) == 64) // carrier-grade NAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0/24
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18/15
        || ip.is_documentation()
        || ip.is_multicast()
        || a >= 240 // reserved 240/4, including broadcast
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // These forms carry an IPv4 address that the network may deliver to, so judge that.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    if s[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback() {
        // IPv4-compatible ::a.b.c.d (deprecated, but still parsed and routed by some stacks)
        return is_private_v4(embedded_v4(s));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64 well-known prefix 64:ff9b::/96
        return is_private_v4(embedded_v4(s));
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 64:ff9b:1::/48
        || (s[0] & 0xfe00) == 0xfc00 // unique-local fc00::/7
        || (s[0] & 0xff80) == 0xfe80 // link-local fe80::/10 and deprecated site-local fec0::/10
        || ip.is_multicast()
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32
        || (s[0] == 0x3fff && s[1] < 0x1000) // documentation 3fff::/20
}

fn embedded_v4(s: [u16; 8]) -> Ipv4Addr {
    let [a, b] = s[6].to_be_bytes();
    let [c, d] = s[7].to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        let private = [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.170",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "3fff::1",
            "3fff:fff::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.1.2.3",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
        ];
        let public = [
            "8.8.8.8",
            "1.1.1.1",
            "9.9.9.9",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "::8.8.8.8",
            "64:ff9b::808:808",
            "fbff::1",
            "3fff:1000::1",
            "3ff0::1",
            "2a00:1450:4001:800::200e",
        ];
        for ip in private {
            assert!(is_private(ip.parse().unwrap()), "{ip} should be private");
        }
        for ip in public {
            assert!(!is_private(ip.parse().unwrap()), "{ip} should be public");
        }
    }

    #[test]
    fn accepts_plain_http_and_https() {
        assert!(parse("https://hooks.example.com/roster?x=1").is_ok());
        assert!(parse("http://example.com:8080/").is_ok());
    }

    #[test]
    fn refuses_bad_urls() {
        assert_eq!(parse("ftp://example.com/"), Err(BadUrl::Scheme));
        assert_eq!(parse("file:///etc/passwd"), Err(BadUrl::Scheme));
        assert_eq!(parse("javascript:alert(1)"), Err(BadUrl::Scheme));
        assert_eq!(parse("http://"), Err(BadUrl::NoHost));
        assert_eq!(
            parse("https://user:pass@example.com/"),
            Err(BadUrl::Credentials)
        );
        assert_eq!(parse("https://user@example.com/"), Err(BadUrl::Credentials));
        assert_eq!(parse("not a url"), Err(BadUrl::Invalid));
        assert_eq!(parse("/relative/path"), Err(BadUrl::Invalid));
        let long = format!("https://example.com/{}", "a".repeat(MAX_LEN));
        assert_eq!(parse(&long), Err(BadUrl::TooLong));
        // Under the limit as typed, over it once non-ASCII is percent-encoded.
        let grows = format!("https://example.com/{}", "é".repeat(1000));
        assert_eq!(parse(&grows), Err(BadUrl::TooLong));
    }

    #[test]
    fn messages_read_as_sentences_about_the_url() {
        assert_eq!(BadUrl::Scheme.to_string(), "must be an http or https URL");
        let refused = Refused::Private {
            host: "10.0.0.1".into(),
            addr: "10.0.0.1".parse().unwrap(),
        };
        assert_eq!(
            refused.to_string(),
            "resolves to a private, loopback or link-local address (10.0.0.1), which webhooks may not reach"
        );
    }

    #[tokio::test]
    async fn refuses_loopback_literals_unless_allowed() {
        let url = parse("http://127.0.0.1:9/x").unwrap();
        assert!(matches!(
            resolve(&url, false).await,
            Err(Refused::Private { .. })
        ));
        let allowed = resolve(&url, true).await.unwrap();
        assert_eq!(allowed, vec!["127.0.0.1:9".parse().unwrap()]);
    }

    #[tokio::test]
    async fn refuses_ipv6_and_disguised_literals() {
        for url in [
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://2130706433/", // 127.0.0.1 as a single decimal number
            "http://0x7f.1/",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            let parsed = parse(url).unwrap();
            assert!(
                matches!(resolve(&parsed, false).await, Err(Refused::Private { .. })),
                "{url} should be refused"
            );
        }
        let url = parse("https://[::1]/").unwrap();
        assert_eq!(
            resolve(&url, true).await.unwrap(),
            vec!["[::1]:443".parse().unwrap()]
        );
    }

    #[tokio::test]
    async fn refuses_localhost_by_its_addresses() {
        let url = parse("http://localhost/").unwrap();
        let Err(Refused::Private { host, addr }) = resolve(&url, false).await else {
            panic!("localhost should be refused as private");
        };
        assert_eq!(host, "localhost");
        assert!(addr.is_loopback());
    }

    #[tokio::test]
    async fn refuses_metadata_hosts_by_name() {
        for url in [
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.google.internal./",
            "http://metadata/",
        ] {
            let parsed = parse(url).unwrap();
            // Even with private addresses allowed, and without any DNS lookup.
            assert!(
                matches!(resolve(&parsed, true).await, Err(Refused::MetadataHost(_))),
                "{url} should be refused"
            );
        }
    }

    #[tokio::test]
    async fn unresolvable_hosts_are_reported() {
        // .invalid is reserved never to resolve (RFC 6761).
        let url = parse("http://roster-test.invalid/").unwrap();
        assert!(matches!(
            resolve(&url, false).await,
            Err(Refused::Unresolvable(_))
        ));
    }
}
