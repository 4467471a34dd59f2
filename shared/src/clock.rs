//! RFC 3339 timestamps, the one time format on the bus (`at`, `Newsflow-Received-At`).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `t` as RFC 3339 (UTC as `Z`).
pub fn rfc3339(t: OffsetDateTime) -> String {
    // Formatting an in-range OffsetDateTime as RFC 3339 only fails for years outside 0..=9999.
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Now, as RFC 3339.
pub fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

/// Seconds from an RFC 3339 time to now (never negative), if it parses.
pub fn seconds_since(rfc3339: &str) -> Option<f64> {
    let t = OffsetDateTime::parse(rfc3339, &Rfc3339).ok()?;
    Some((OffsetDateTime::now_utc() - t).as_seconds_f64().max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = now_rfc3339();
        let secs = seconds_since(&s).unwrap();
        assert!(secs >= 0.0);
        assert_eq!(seconds_since("not a time"), None);
    }
}
