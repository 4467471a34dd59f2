//! Where dedup state lives, behind one small interface so that the same decision algorithm
//! ([`crate::decide`]) runs over process memory (`newsflow batch`) and over a JetStream KV
//! bucket shared by every replica (the service, [`crate::kv`]).
//!
//! The interface is deliberately narrow: `claim` is create-if-absent (first writer wins, the
//! only way the algorithm takes ownership of a key — never read-then-write), `get` reads, and
//! `put` overwrites a key the caller already owns (its own article record).

use bytes::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// Result of [`DedupStore::claim`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key was absent and now holds our value.
    Won,
    /// Someone (maybe an earlier delivery of the same message) holds it: their value.
    Held(Bytes),
}

/// A store failure: transient (NATS down, timeout). The message is retried by redelivery.
#[derive(Debug, thiserror::Error)]
#[error("dedup store: {0}")]
pub struct StoreError(pub String);

/// Key-value state for deduplication.
pub trait DedupStore {
    /// Create `key` with `value` if it doesn't exist; otherwise return the current value.
    fn claim(
        &self,
        key: &str,
        value: Bytes,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;
    /// The value of `key`, if present (and not expired).
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Bytes>, StoreError>> + Send;
    /// Overwrite `key`, which the caller owns (it won its claim earlier).
    fn put(&self, key: &str, value: Bytes) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Wait `delay` before reading again a record another decider is still writing. Process
    /// memory has no other decider (and no timer outside a runtime), so by default: no wait.
    fn pause(&self, delay: Duration) -> impl Future<Output = ()> + Send {
        let _ = delay;
        std::future::ready(())
    }
}

/// State in process memory: the batch CLI and unit tests. No expiry (a batch run is short).
#[derive(Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<String, Bytes>>,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bytes>> {
        // A panic while holding this lock can't leave the map half-updated (single inserts),
        // so a poisoned lock is still consistent.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of keys held (tests and diagnostics).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

impl DedupStore for MemoryStore {
    async fn claim(&self, key: &str, value: Bytes) -> Result<Claim, StoreError> {
        let mut map = self.lock();
        match map.get(key) {
            Some(v) => Ok(Claim::Held(v.clone())),
            None => {
                map.insert(key.to_string(), value);
                Ok(Claim::Won)
            }
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        Ok(self.lock().get(key).cloned())
    }

    async fn put(&self, key: &str, value: Bytes) -> Result<(), StoreError> {
        self.lock().insert(key.to_string(), value);
        Ok(())
    }
}

impl<S: DedupStore + Sync> DedupStore for std::sync::Arc<S> {
    fn claim(
        &self,
        key: &str,
        value: Bytes,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send {
        S::claim(self, key, value)
    }
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Bytes>, StoreError>> + Send {
        S::get(self, key)
    }
    fn put(&self, key: &str, value: Bytes) -> impl Future<Output = Result<(), StoreError>> + Send {
        S::put(self, key, value)
    }
    fn pause(&self, delay: Duration) -> impl Future<Output = ()> + Send {
        S::pause(self, delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_claim_wins_and_later_ones_see_its_value() {
        let s = MemoryStore::default();
        let r = futures::executor::block_on(async {
            let a = s.claim("k", Bytes::from_static(b"1")).await.unwrap();
            let b = s.claim("k", Bytes::from_static(b"2")).await.unwrap();
            (a, b)
        });
        assert_eq!(r, (Claim::Won, Claim::Held(Bytes::from_static(b"1"))));
    }
}
