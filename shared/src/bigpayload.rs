//! Payloads too big for one NATS message (over the server's `max_payload`) travel through a
//! JetStream Object Store bucket: the watcher [`put`]s the bytes under their sha256 and publishes
//! a small reference message with the [`HDR_PAYLOAD_REF`] header; every stage calls [`resolve`]
//! and gets the real payload whether it was inline or referenced.

use crate::records::sha256_hex;
use crate::subjects::{HDR_PAYLOAD_REF, PAYLOAD_BUCKET};
use anyhow::Context as _;
use async_nats::jetstream::{self, object_store, stream::StorageType};
use async_nats::HeaderMap;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

/// Headroom left under `max_payload` for headers and protocol framing.
const HEADER_HEADROOM: usize = 16 * 1024;

/// The largest payload this client should publish inline; anything bigger goes through [`put`].
pub fn inline_limit(client: &async_nats::Client) -> usize {
    client
        .server_info()
        .max_payload
        .saturating_sub(HEADER_HEADROOM)
}

/// Body of a reference message (`newsflow.payload-ref.v1`), for humans reading the stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadRef {
    pub schema: String,
    pub bucket: String,
    /// Object name: the lower-case hex sha256 of the content.
    pub object: String,
    pub size: usize,
}

/// A reference message ready to publish: add `headers` to yours and publish `body`.
#[derive(Clone, Debug)]
pub struct RefMessage {
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The content hash (use it as `Nats-Msg-Id`, like an inline message would).
    pub sha256: String,
}

/// The payload bucket, created if missing (file storage, `replicas` copies).
pub async fn bucket(
    js: &jetstream::Context,
    replicas: usize,
) -> anyhow::Result<object_store::ObjectStore> {
    if let Ok(store) = js.get_object_store(PAYLOAD_BUCKET).await {
        return Ok(store);
    }
    js.create_object_store(object_store::Config {
        bucket: PAYLOAD_BUCKET.to_string(),
        description: Some("newsflow payloads over the server's max_payload".into()),
        max_age: crate::jetstream::RETENTION,
        storage: StorageType::File,
        num_replicas: replicas,
        ..Default::default()
    })
    .await
    .with_context(|| format!("creating object store {PAYLOAD_BUCKET}"))
}

/// Store `content` under its sha256 (once: an object of the same name and size is reused) and
/// return the reference message that stands for it.
pub async fn put(
    js: &jetstream::Context,
    replicas: usize,
    content: &[u8],
) -> anyhow::Result<RefMessage> {
    let store = bucket(js, replicas).await?;
    let key = sha256_hex(content);
    let present = matches!(store.info(&key).await, Ok(info) if info.size == content.len());
    if !present {
        let mut reader = content;
        // Chunks must fit in one message however small the server's max_payload is.
        let chunk = inline_limit(&js.client()).clamp(1024, 128 * 1024);
        let meta = object_store::ObjectMetadata {
            name: key.clone(),
            chunk_size: Some(chunk),
            ..Default::default()
        };
        store
            .put(meta, &mut reader)
            .await
            .with_context(|| format!("storing {} bytes in {PAYLOAD_BUCKET}", content.len()))?;
    }
    let body = serde_json::to_vec(&PayloadRef {
        schema: "newsflow.payload-ref.v1".into(),
        bucket: PAYLOAD_BUCKET.into(),
        object: key.clone(),
        size: content.len(),
    })?;
    let mut headers = HeaderMap::new();
    headers.insert(HDR_PAYLOAD_REF, key.as_str());
    Ok(RefMessage {
        headers,
        body: Bytes::from(body),
        sha256: key,
    })
}

/// The real payload of `msg`: its own bytes, or the referenced object's (checked against its
/// sha256 name).
pub async fn resolve(js: &jetstream::Context, msg: &async_nats::Message) -> anyhow::Result<Bytes> {
    let Some(key) = msg
        .headers
        .as_ref()
        .and_then(|h| h.get(HDR_PAYLOAD_REF))
        .map(|v| v.as_str().to_string())
    else {
        return Ok(msg.payload.clone());
    };
    let store = js
        .get_object_store(PAYLOAD_BUCKET)
        .await
        .with_context(|| format!("opening object store {PAYLOAD_BUCKET}"))?;
    let mut object = store
        .get(&key)
        .await
        .with_context(|| format!("payload object {key} not found in {PAYLOAD_BUCKET}"))?;
    let mut buf = Vec::with_capacity(object.info().size);
    object
        .read_to_end(&mut buf)
        .await
        .with_context(|| format!("reading payload object {key}"))?;
    let got = sha256_hex(&buf);
    anyhow::ensure!(
        got == key,
        "payload object {key} is corrupt (content hash {got})"
    );
    Ok(Bytes::from(buf))
}
