//! Throttling sign-ins by client address, and finding that address.
//!
//! The limiter counts failed sign-ins per address in this process's memory: a second
//! server process behind the same load balancer counts its own. That is enough for
//! mamori's deployments (one process per town, or a few behind a proxy, where each still
//! caps a guesser), costs no write per attempt, and forgets everything on restart, which
//! an attacker gains little from. The per-account lockout in the database is what holds
//! across processes.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// Failed sign-ins per client address within a sliding window.
pub struct AddressLimiter {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

/// Beyond this many addresses, the ones whose failures have all left the window are
/// forgotten, so that a flood of addresses cannot grow the map without bound.
const PRUNE_ABOVE: usize = 10_000;

impl AddressLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Self { max, window, failures: Mutex::default() }
    }

    /// Whether sign-ins from `addr` are refused at `now`.
    pub fn throttled(&self, addr: IpAddr, now: Instant) -> bool {
        let Ok(mut map) = self.failures.lock() else { return false };
        let Some(times) = map.get_mut(&key(addr)) else { return false };
        forget_before(times, now, self.window);
        times.len() >= self.max
    }

    /// Counts a failed sign-in from `addr` at `now`.
    pub fn record_failure(&self, addr: IpAddr, now: Instant) {
        let Ok(mut map) = self.failures.lock() else { return };
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, times| {
                forget_before(times, now, self.window);
                !times.is_empty()
            });
        }
        let times = map.entry(key(addr)).or_default();
        forget_before(times, now, self.window);
        times.push_back(now);
        // Only the last `max` matter for the decision.
        while times.len() > self.max.max(1) {
            times.pop_front();
        }
    }
}

fn forget_before(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times.front().is_some_and(|t| now.saturating_duration_since(*t) >= window) {
        times.pop_front();
    }
}

/// The key an address is counted under: an IPv4 address itself (also when it arrives as an
/// IPv4-mapped IPv6 address), an IPv6 address by its /64, the smallest block one
/// subscriber is usually given.
fn key(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The client's address: the connection's peer, or, when the peer is one of the trusted
/// proxies, the right-most address in `X-Forwarded-For` that is not itself a trusted proxy
/// (the left part of the header is whatever the client chose to send). `None` when the
/// router runs without connection info (a test calling it directly).
pub fn client_address(parts: &Parts, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip().to_canonical();
    if !trusted_proxies.iter().any(|p| p.to_canonical() == peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().parse::<IpAddr>().map(|a| a.to_canonical()))
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    Some(forwarded.into_iter().rev().find(|a| !trusted_proxies.iter().any(|p| p.to_canonical() == *a)).unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_throttled_at_the_limit_until_its_failures_leave_the_window() {
        let limiter = AddressLimiter::new(3, Duration::from_secs(600));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(!limiter.throttled(a, t0), "after {i} failures");
            limiter.record_failure(a, t0 + Duration::from_secs(i));
        }
        assert!(limiter.throttled(a, t0 + Duration::from_secs(10)));
        assert!(!limiter.throttled(b, t0 + Duration::from_secs(10)), "another address is not");
        assert!(limiter.throttled(a, t0 + Duration::from_secs(599)), "all three are still inside the window");
        assert!(!limiter.throttled(a, t0 + Duration::from_secs(600)), "the first has left it");
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let limiter = AddressLimiter::new(1, Duration::from_secs(600));
        let now = Instant::now();
        limiter.record_failure("2001:db8:1:2::1".parse().unwrap(), now);
        assert!(limiter.throttled("2001:db8:1:2:ffff::9".parse().unwrap(), now));
        assert!(!limiter.throttled("2001:db8:1:3::1".parse().unwrap(), now));
        limiter.record_failure("::ffff:192.0.2.7".parse().unwrap(), now);
        assert!(limiter.throttled("192.0.2.7".parse().unwrap(), now));
    }

    fn parts(peer: &str, forwarded: Option<&str>) -> Parts {
        let mut req = axum::http::Request::builder().uri("/login");
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo::<SocketAddr>(format!("{peer}:40000").parse().unwrap()));
        parts
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(client_address(&parts("10.0.0.5", Some("198.51.100.1")), &[]), ip("10.0.0.5"), "no proxy is trusted");
        assert_eq!(client_address(&parts("192.0.2.9", Some("198.51.100.1")), &[proxy]), ip("192.0.2.9"), "not from the proxy");
        assert_eq!(client_address(&parts("10.0.0.5", Some("198.51.100.1")), &[proxy]), ip("198.51.100.1"));
        assert_eq!(
            client_address(&parts("10.0.0.5", Some("203.0.113.66, 198.51.100.1")), &[proxy]),
            ip("198.51.100.1"),
            "the client's own entry on the left is not believed"
        );
        assert_eq!(client_address(&parts("10.0.0.5", Some("198.51.100.1, 10.0.0.5")), &[proxy]), ip("198.51.100.1"));
        assert_eq!(client_address(&parts("10.0.0.5", Some("garbage")), &[proxy]), ip("10.0.0.5"));
        assert_eq!(client_address(&parts("10.0.0.5", None), &[proxy]), ip("10.0.0.5"));
    }
}
