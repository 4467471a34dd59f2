//! Prometheus counters of the cleaner (SPEC §8), through the `metrics` facade: no-ops until the
//! service installs a recorder. [`clean_and_record`] is what the NATS service calls.

use crate::{clean_with_report, CleanError};
use newsflow_shared::records::{CleanArticle, RawArticle};

pub const ARTICLES_TOTAL: &str = "newsflow_cleaner_articles_total";
pub const REJECTED_TOTAL: &str = "newsflow_cleaner_rejected_total";
pub const BYTES_IN_TOTAL: &str = "newsflow_cleaner_bytes_in_total";
pub const BYTES_OUT_TOTAL: &str = "newsflow_cleaner_bytes_out_total";
pub const CHROME_RATIO: &str = "newsflow_cleaner_chrome_ratio";

/// Register help texts (call once after installing the recorder).
pub fn describe() {
    metrics::describe_counter!(
        ARTICLES_TOTAL,
        "Inputs cleaned, by outcome (cleaned|rejected)."
    );
    metrics::describe_counter!(REJECTED_TOTAL, "Inputs rejected by the cleaner, by reason.");
    metrics::describe_counter!(
        BYTES_IN_TOTAL,
        metrics::Unit::Bytes,
        "Raw bytes read by the cleaner."
    );
    metrics::describe_counter!(
        BYTES_OUT_TOTAL,
        metrics::Unit::Bytes,
        "Bytes of canonical text written."
    );
    metrics::describe_histogram!(
        CHROME_RATIO,
        "Share of a page's characters removed as chrome (0..1)."
    );
}

/// [`crate::clean`] plus metrics.
pub fn clean_and_record(raw: &RawArticle) -> Result<CleanArticle, CleanError> {
    metrics::counter!(BYTES_IN_TOTAL).increment(raw.bytes.len() as u64);
    match clean_with_report(raw) {
        Ok((article, report)) => {
            metrics::counter!(ARTICLES_TOTAL, "outcome" => "cleaned").increment(1);
            metrics::counter!(BYTES_OUT_TOTAL).increment(article.text.len() as u64);
            metrics::histogram!(CHROME_RATIO).record(report.chrome_ratio());
            Ok(article)
        }
        Err(e) => {
            metrics::counter!(ARTICLES_TOTAL, "outcome" => "rejected").increment(1);
            metrics::counter!(REJECTED_TOTAL, "reason" => e.reason_code()).increment(1);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_wrapper_returns_what_clean_returns() {
        describe();
        let ok = RawArticle {
            source_path: "a.txt".into(),
            received_at: None,
            bytes: "今年以来,全区完成财政总收入17.9亿元,同比增长8.8%。"
                .as_bytes()
                .to_vec()
                .into(),
        };
        let a = clean_and_record(&ok).expect("cleans");
        assert_eq!(a, crate::clean(&ok).expect("cleans"));
        let bad = RawArticle {
            source_path: "a.json".into(),
            received_at: None,
            bytes: b"{".to_vec().into(),
        };
        let e = clean_and_record(&bad).expect_err("malformed");
        assert_eq!(e.reason_code(), "malformed_json");
    }
}
