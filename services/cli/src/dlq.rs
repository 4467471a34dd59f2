//! `newsflow dlq list|replay`: look at the poison messages on `news.dead` and send them back to
//! the input subject of the stage that gave up on them (from their `Newsflow-Stage` header),
//! e.g. after fixing the bug that killed them. A replayed letter is deleted from `news.dead`
//! only after JetStream acknowledged the republished copy.

use anyhow::{bail, Context as _};
use async_nats::jetstream::{self, stream::LastRawMessageErrorKind};
use async_nats::HeaderMap;
use newsflow_shared::jetstream::stage_by_name;
use newsflow_shared::records::sha256_hex;
use newsflow_shared::subjects::{
    HDR_ATTEMPTS, HDR_ERROR, HDR_MSG_ID, HDR_PAYLOAD_REF, HDR_RECEIVED_AT, HDR_SOURCE_PATH,
    HDR_STAGE, STREAM_DEAD,
};
use serde::Serialize;
use std::io::Write;

/// One dead letter as `newsflow dlq list` prints it.
#[derive(Debug, Serialize)]
pub struct DeadLetter {
    pub seq: u64,
    pub stage: Option<String>,
    pub error: Option<String>,
    pub attempts: Option<u64>,
    pub source_path: Option<String>,
    pub received_at: Option<String>,
    pub dead_at: String,
    pub payload_bytes: usize,
    /// Set when the payload is a reference to the big-payload object store.
    pub payload_ref: Option<String>,
}

fn hdr(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).map(|v| v.as_str().to_string())
}

/// Every message of the dead-letter stream, in sequence order.
async fn letters(
    js: &jetstream::Context,
) -> anyhow::Result<Vec<jetstream::message::StreamMessage>> {
    let mut stream = js
        .get_stream(STREAM_DEAD)
        .await
        .with_context(|| format!("opening stream {STREAM_DEAD}"))?;
    let state = stream
        .info()
        .await
        .context("reading the dead-letter stream")?
        .state
        .clone();
    let mut out = Vec::new();
    if state.messages == 0 {
        return Ok(out);
    }
    for seq in state.first_sequence..=state.last_sequence {
        match stream.get_raw_message(seq).await {
            Ok(m) => out.push(m),
            Err(e) if matches!(e.kind(), LastRawMessageErrorKind::NoMessageFound) => {}
            Err(e) => return Err(e).with_context(|| format!("reading dead letter {seq}")),
        }
    }
    Ok(out)
}

fn describe(m: &jetstream::message::StreamMessage) -> DeadLetter {
    let h = &m.headers;
    DeadLetter {
        seq: m.sequence,
        stage: hdr(h, HDR_STAGE),
        error: hdr(h, HDR_ERROR),
        attempts: hdr(h, HDR_ATTEMPTS).and_then(|a| a.parse().ok()),
        source_path: hdr(h, HDR_SOURCE_PATH),
        received_at: hdr(h, HDR_RECEIVED_AT),
        dead_at: newsflow_shared::clock::rfc3339(m.time),
        payload_bytes: m.payload.len(),
        payload_ref: hdr(h, HDR_PAYLOAD_REF),
    }
}

/// `newsflow dlq list`: one JSON line per dead letter.
pub async fn list(js: &jetstream::Context) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for m in letters(js).await? {
        let line = serde_json::to_string(&describe(&m))?;
        if writeln!(out, "{line}").is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// Which letters to replay.
pub enum Selection {
    One(u64),
    All,
}

/// `newsflow dlq replay`: republish to the stage's input subject, await the PubAck, delete the
/// letter. Reports one JSON line per letter; fails if any letter could not be replayed.
pub async fn replay(js: &jetstream::Context, which: Selection) -> anyhow::Result<()> {
    let stream = js
        .get_stream(STREAM_DEAD)
        .await
        .with_context(|| format!("opening stream {STREAM_DEAD}"))?;
    let selected: Vec<_> = match which {
        Selection::All => letters(js).await?,
        Selection::One(seq) => match stream.get_raw_message(seq).await {
            Ok(m) => vec![m],
            Err(e) if matches!(e.kind(), LastRawMessageErrorKind::NoMessageFound) => {
                bail!("no dead letter with sequence {seq}")
            }
            Err(e) => return Err(e).with_context(|| format!("reading dead letter {seq}")),
        },
    };
    let mut failed = 0usize;
    let stdout = std::io::stdout();
    for m in selected {
        let report = match replay_one(js, &stream, &m).await {
            Ok(subject) => serde_json::json!({"seq": m.sequence, "replayed_to": subject}),
            Err(e) => {
                failed += 1;
                serde_json::json!({"seq": m.sequence, "error": format!("{e:#}")})
            }
        };
        let _ = writeln!(stdout.lock(), "{report}");
    }
    if failed > 0 {
        bail!("{failed} dead letter(s) could not be replayed (see the lines above)");
    }
    Ok(())
}

async fn replay_one(
    js: &jetstream::Context,
    dead: &jetstream::stream::Stream,
    m: &jetstream::message::StreamMessage,
) -> anyhow::Result<String> {
    let stage_name = hdr(&m.headers, HDR_STAGE).context("no Newsflow-Stage header")?;
    let stage = stage_by_name(&stage_name)
        .with_context(|| format!("unknown stage '{stage_name}' in Newsflow-Stage"))?;
    let mut headers = HeaderMap::new();
    for (name, values) in m.headers.iter() {
        let n: &str = name.as_ref();
        if [HDR_MSG_ID, HDR_STAGE, HDR_ERROR, HDR_ATTEMPTS].contains(&n) {
            continue;
        }
        for v in values {
            headers.append(name.clone(), v.as_str());
        }
    }
    // A fresh id: the original Nats-Msg-Id may still be inside the input stream's duplicate
    // window, which would silently drop the replay. Derived from the letter, so replaying the
    // same letter twice (crash before the delete) still gives one copy.
    let id = format!("replay-{}-{}", m.sequence, &sha256_hex(&m.payload)[..16]);
    headers.insert(HDR_MSG_ID, id.as_str());
    js.publish_with_headers(stage.input_subject, headers, m.payload.clone())
        .await
        .with_context(|| format!("publishing to {}", stage.input_subject))?
        .await
        .with_context(|| format!("waiting for the PubAck from {}", stage.input_subject))?;
    dead.delete_message(m.sequence)
        .await
        .with_context(|| format!("deleting dead letter {} after replay", m.sequence))?;
    Ok(stage.input_subject.to_string())
}
