//! Dedup state in a JetStream KV bucket: shared by every deduper replica, survives restarts,
//! expires after a configurable window (SPEC §4).
//!
//! The bucket is opened the way NOTES.md says works against nats-server 2.9.10: we create the
//! backing stream `KV_<bucket>` ourselves (`create_key_value` fails there) with the settings a
//! KV bucket has — history 1, `max_age` = the expiry, rollup allowed, delete denied, direct get,
//! discard new — then `get_key_value`. A changed expiry or replica count is applied to an
//! existing bucket at start-up.
//!
//! [`KvStore::claim`] is the server's create-if-absent (`update` with expected revision 0, what
//! `Store::create` does first): exactly one of any number of concurrent writers wins, across
//! processes. On a lost race it reads the winner's value (one more round trip); `create` would
//! do the same read internally and throw the value away.

use crate::store::{Claim, DedupStore, StoreError};
use async_nats::jetstream::{
    self,
    kv::{Operation, UpdateErrorKind},
    stream::{Config as StreamConfig, DiscardPolicy, StorageType},
};
use bytes::Bytes;
use std::time::{Duration, Instant};

/// Default bucket name.
pub const DEFAULT_BUCKET: &str = "newsflow_dedup";
/// Default expiry of dedup state: 30 days.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Where and how long dedup state is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvConfig {
    pub bucket: String,
    /// Every key expires this long after its last write.
    pub ttl: Duration,
    /// Stream replicas (1 on a single server).
    pub replicas: usize,
}

impl Default for KvConfig {
    fn default() -> Self {
        KvConfig {
            bucket: DEFAULT_BUCKET.to_string(),
            ttl: DEFAULT_TTL,
            replicas: 1,
        }
    }
}

/// Parse a duration such as `30d`, `12h`, `90m`, `45s`, `2w` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: expected e.g. 30d, 12h, 90m, 45s"))?;
    let secs_per = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        other => {
            return Err(format!(
                "invalid duration {text:?}: unknown unit {other:?} (use s, m, h, d or w)"
            ))
        }
    };
    let secs = n
        .checked_mul(secs_per)
        .ok_or_else(|| format!("invalid duration {text:?}: too long"))?;
    if secs == 0 {
        return Err(format!("invalid duration {text:?}: must be positive"));
    }
    Ok(Duration::from_secs(secs))
}

/// The backing stream's configuration for `cfg`.
pub fn stream_config(cfg: &KvConfig) -> StreamConfig {
    StreamConfig {
        name: format!("KV_{}", cfg.bucket),
        description: Some("newsflow dedup state (article records and LSH band keys)".into()),
        subjects: vec![format!("$KV.{}.>", cfg.bucket)],
        max_messages_per_subject: 1,
        max_messages: -1,
        max_bytes: -1,
        max_age: cfg.ttl,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: DiscardPolicy::New,
        num_replicas: cfg.replicas.max(1),
        storage: StorageType::File,
        ..Default::default()
    }
}

/// The dedup store over a JetStream KV bucket.
#[derive(Clone)]
pub struct KvStore {
    kv: jetstream::kv::Store,
}

impl KvStore {
    /// Open (creating or updating its stream if needed) the bucket `cfg` names.
    pub async fn open(js: &jetstream::Context, cfg: &KvConfig) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let want = stream_config(cfg);
        let mut stream = js
            .get_or_create_stream(want.clone())
            .await
            .with_context(|| format!("creating KV stream {}", want.name))?;
        let have = stream
            .info()
            .await
            .with_context(|| format!("reading KV stream {}", want.name))?
            .config
            .clone();
        if have.max_age != want.max_age || have.num_replicas != want.num_replicas {
            tracing::info!(
                stream = %want.name,
                old_max_age_s = have.max_age.as_secs(),
                new_max_age_s = want.max_age.as_secs(),
                "updating dedup bucket expiry/replicas"
            );
            js.update_stream(want.clone())
                .await
                .with_context(|| format!("updating KV stream {}", want.name))?;
        }
        let kv = js
            .get_key_value(&cfg.bucket)
            .await
            .with_context(|| format!("opening KV bucket {}", cfg.bucket))?;
        Ok(KvStore { kv })
    }

    /// The underlying async-nats store.
    pub fn inner(&self) -> &jetstream::kv::Store {
        &self.kv
    }
}

fn observe(started: Instant, op: &'static str) {
    metrics::histogram!("newsflow_dedup_kv_seconds", "op" => op)
        .record(started.elapsed().as_secs_f64());
}

impl DedupStore for KvStore {
    async fn claim(&self, key: &str, value: Bytes) -> Result<Claim, StoreError> {
        // A key can vanish between a lost create and the read (expiry): try again a few times.
        for _ in 0..3 {
            let started = Instant::now();
            let created = self.kv.update(key, value.clone(), 0).await;
            observe(started, "create");
            match created {
                Ok(_) => return Ok(Claim::Won),
                Err(e) if e.kind() == UpdateErrorKind::WrongLastRevision => {
                    let started = Instant::now();
                    let entry = self.kv.entry(key).await;
                    observe(started, "get");
                    match entry.map_err(|e| StoreError(format!("reading {key}: {e}")))? {
                        Some(entry) if entry.operation == Operation::Put => {
                            return Ok(Claim::Held(entry.value))
                        }
                        // Deleted/purged (we never do that) or expired meanwhile: retry.
                        _ => continue,
                    }
                }
                Err(e) => return Err(StoreError(format!("creating {key}: {e}"))),
            }
        }
        Err(StoreError(format!(
            "creating {key}: the key kept changing under us"
        )))
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        let started = Instant::now();
        let got = self.kv.get(key).await;
        observe(started, "get");
        got.map_err(|e| StoreError(format!("reading {key}: {e}")))
    }

    async fn pause(&self, delay: Duration) {
        tokio::time::sleep(delay).await
    }

    async fn put(&self, key: &str, value: Bytes) -> Result<(), StoreError> {
        let started = Instant::now();
        let put = self.kv.put(key, value).await;
        observe(started, "put");
        put.map(|_| ())
            .map_err(|e| StoreError(format!("writing {key}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d"), Ok(DEFAULT_TTL));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(43_200)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 2w "), Ok(Duration::from_secs(14 * 86_400)));
        assert!(parse_duration("0d").is_err());
        assert!(parse_duration("30 days").is_err());
        assert!(parse_duration("d").is_err());
    }

    #[test]
    fn stream_settings_match_a_kv_bucket() {
        let c = stream_config(&KvConfig::default());
        assert_eq!(c.name, "KV_newsflow_dedup");
        assert_eq!(c.subjects, vec!["$KV.newsflow_dedup.>".to_string()]);
        assert_eq!(c.max_messages_per_subject, 1);
        assert_eq!(c.max_age, DEFAULT_TTL);
        assert!(c.allow_rollup && c.deny_delete && c.allow_direct);
        assert_eq!(c.discard, DiscardPolicy::New);
    }
}
