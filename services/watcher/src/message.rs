//! The messages the watcher publishes, and their `Nats-Msg-Id`s.
//!
//! A raw message's id is the sha256 of its source path and its bytes. So:
//! * the same file republished after a crash (published, not yet moved) gets the same id and
//!   JetStream drops the second copy within the stream's duplicate window;
//! * the same bytes under another name get another id and do reach the deduper, which records
//!   them as an exact duplicate (`news.duplicate`) instead of them vanishing silently.
//!
//! A rejection's id covers the path, the reason and the identity of what was rejected (the
//! file's size, mtime and inode; a line's bytes), so a crash-restart does not record it twice
//! while a new file dropped under the same name is recorded again.

use async_nats::HeaderMap;
use newsflow_shared::records::{RejectedRecord, Source, REJECTED_SCHEMA};
use newsflow_shared::subjects::{HDR_MSG_ID, HDR_RECEIVED_AT, HDR_SOURCE_PATH};
use sha2::{Digest, Sha256};

/// Stage name in `newsflow.rejected.v1` records.
pub const STAGE: &str = "watcher";

/// `Nats-Msg-Id` of the raw message for `content` found at `source_path`.
pub fn raw_msg_id(source_path: &str, content: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"newsflow.raw\0");
    h.update(source_path.as_bytes());
    h.update(b"\0");
    h.update(content);
    hex::encode(h.finalize())
}

/// `Nats-Msg-Id` of a rejection record of `source_path`; `identity` says which file or line.
pub fn rejected_msg_id(source_path: &str, reason_label: &str, identity: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"newsflow.rejected\0watcher\0");
    h.update(source_path.as_bytes());
    h.update(b"\0");
    h.update(reason_label.as_bytes());
    h.update(b"\0");
    h.update(identity);
    hex::encode(h.finalize())
}

/// Headers of a raw message (`Nats-Msg-Id`, `Newsflow-Source-Path`, `Newsflow-Received-At`).
pub fn raw_headers(msg_id: &str, source_path: &str, received_at: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(HDR_MSG_ID, msg_id);
    h.insert(HDR_SOURCE_PATH, source_path);
    h.insert(HDR_RECEIVED_AT, received_at);
    h
}

/// The `newsflow.rejected.v1` record for `source_path`.
pub fn rejected_record(source_path: &str, reason: &str, at: &str) -> RejectedRecord {
    RejectedRecord {
        schema: REJECTED_SCHEMA.to_string(),
        source: Source {
            path: Some(source_path.to_string()),
            ..Source::default()
        },
        stage: STAGE.to_string(),
        reason: reason.to_string(),
        at: at.to_string(),
    }
}

/// Now as RFC 3339 (UTC).
pub fn now_rfc3339() -> String {
    rfc3339(std::time::SystemTime::now())
}

/// `t` as RFC 3339 (UTC, millisecond precision).
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    let t = t
        .replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_id_depends_on_path_and_content() {
        let a = raw_msg_id("a.txt", b"hello");
        assert_eq!(a.len(), 64);
        assert_eq!(a, raw_msg_id("a.txt", b"hello"));
        assert_ne!(a, raw_msg_id("b.txt", b"hello"));
        assert_ne!(a, raw_msg_id("a.txt", b"hello!"));
        // The separator keeps path and content apart.
        assert_ne!(raw_msg_id("a", b"bc"), raw_msg_id("ab", b"c"));
    }

    #[test]
    fn rejected_record_is_the_spec_schema() {
        let r = rejected_record("x.jsonl#2", "line is not JSON", "2026-01-01T00:00:00Z");
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["schema"], "newsflow.rejected.v1");
        assert_eq!(v["source"]["path"], "x.jsonl#2");
        assert_eq!(v["stage"], "watcher");
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let s = rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_500));
        assert_eq!(s, "1970-01-01T00:00:01.5Z");
        assert!(time::OffsetDateTime::parse(
            &now_rfc3339(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok());
    }
}
