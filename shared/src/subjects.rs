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

/// Header naming the stage that gave up on a dead-lettered message (`cleaner`, …).
pub const HDR_STAGE: &str = "Newsflow-Stage";
/// Header carrying the last error of a dead-lettered message (one line).
pub const HDR_ERROR: &str = "Newsflow-Error";
/// Header carrying how many deliveries a dead-lettered message had.
pub const HDR_ATTEMPTS: &str = "Newsflow-Attempts";
/// Header of a reference message whose real payload is an object in the payload store:
/// the object's name (the sha256 of the content).
pub const HDR_PAYLOAD_REF: &str = "Newsflow-Payload-Ref";

/// JetStream stream names, one stream per subject (family).
pub const STREAM_RAW: &str = "NEWS_RAW";
pub const STREAM_CLEAN: &str = "NEWS_CLEAN";
pub const STREAM_UNIQUE: &str = "NEWS_UNIQUE";
pub const STREAM_DUPLICATE: &str = "NEWS_DUPLICATE";
pub const STREAM_REJECTED: &str = "NEWS_REJECTED";
pub const STREAM_DEAD: &str = "NEWS_DEAD";
pub const STREAM_INDICATORS: &str = "INDICATORS";
/// Object store bucket for payloads over the server's `max_payload`.
pub const PAYLOAD_BUCKET: &str = "newsflow_payloads";
