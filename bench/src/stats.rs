//! Latency summaries (nearest-rank percentiles) for the report.

use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// Nearest-rank percentile `p` (0–100) of sorted `v`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `x` to three decimals (ratios and latencies in the report).
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Summary of latencies in milliseconds.
pub fn latency(mut ms: Vec<f64>) -> Latency {
    ms.retain(|x| x.is_finite());
    ms.sort_by(f64::total_cmp);
    let n = ms.len();
    Latency {
        samples: n,
        p50_ms: round3(percentile(&ms, 50.0)),
        p90_ms: round3(percentile(&ms, 90.0)),
        p99_ms: round3(percentile(&ms, 99.0)),
        max_ms: round3(ms.last().copied().unwrap_or(0.0)),
        mean_ms: round3(if n > 0 {
            ms.iter().sum::<f64>() / n as f64
        } else {
            0.0
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let l = latency((1..=100).map(f64::from).collect());
        assert_eq!(l.p50_ms, 50.0);
        assert_eq!(l.p99_ms, 99.0);
        assert_eq!(l.max_ms, 100.0);
        assert_eq!(latency(vec![]).samples, 0);
        assert_eq!(latency(vec![7.0]).p99_ms, 7.0);
    }
}
