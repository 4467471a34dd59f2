//! Names on the bus, in one place, so that no two services can disagree about them (SPEC §1).

/// Raw file contents published by the watcher.
pub const RAW: &str = "news.raw";
/// `newsflow.article.v1` records published by the cleaner.
pub const CLEAN: &str = "news.clean";
/// Articles the deduper let through (first sighting or a new edition).
pub const UNIQUE: &str = "news.unique";
/// `newsflow.duplicate.v1` decisions.
pub const DUPLICATE: &str = "news.duplicate";
/// `newsflow.rejected.v1` records from any stage.
pub const REJECTED: &str = "news.rejected";
/// Poison messages that exhausted `max_deliver`, payload and error headers intact.
pub const DEAD: &str = "news.dead";
/// Prefix of the indicator event subjects: `indicators.<code>`.
pub const INDICATORS_PREFIX: &str = "indicators";

/// The subject an indicator event with this code is published on.
pub fn indicator_subject(code: &str) -> String {
    format!("{INDICATORS_PREFIX}.{code}")
}

/// Header carrying the file's path relative to the inbox (`FILE.jsonl#N` for batch items).
pub const HDR_SOURCE_PATH: &str = "Newsflow-Source-Path";
/// Header carrying the RFC 3339 time the watcher first saw the file; it travels through every
/// stage so the extractor can observe end-to-end latency.
pub const HDR_RECEIVED_AT: &str = "Newsflow-Received-At";
/// JetStream's de-duplication header.
pub const HDR_MSG_ID: &str = "Nats-Msg-Id";
