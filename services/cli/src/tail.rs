//! `newsflow tail`: print messages of a subject as JSON lines, through an ordered (ephemeral,
//! unacknowledged) consumer, so that watching never disturbs the pipeline's durable consumers.

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use std::io::Write;

/// What to tail.
pub struct TailOptions {
    pub subject: String,
    pub from_start: bool,
    pub count: Option<u64>,
}

/// One message as a JSON line: a JSON payload as is (compacted), anything else in an envelope
/// `{subject, stream_seq, headers, payload}`.
pub fn json_line(
    subject: &str,
    stream_seq: Option<u64>,
    headers: Option<&async_nats::HeaderMap>,
    payload: &[u8],
) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(payload) {
        if v.is_object() {
            return v.to_string();
        }
    }
    let mut hdrs = serde_json::Map::new();
    if let Some(h) = headers {
        for (name, values) in h.iter() {
            let name: &str = name.as_ref();
            let joined: Vec<&str> = values.iter().map(|v| v.as_str()).collect();
            hdrs.insert(name.to_string(), joined.join(",").into());
        }
    }
    serde_json::json!({
        "subject": subject,
        "stream_seq": stream_seq,
        "headers": hdrs,
        "payload": String::from_utf8_lossy(payload),
    })
    .to_string()
}

pub async fn run(js: &jetstream::Context, opts: TailOptions) -> anyhow::Result<()> {
    let stream_name = js
        .stream_by_subject(opts.subject.clone())
        .await
        .with_context(|| format!("no stream holds subject {}", opts.subject))?;
    let stream = js
        .get_stream(&stream_name)
        .await
        .with_context(|| format!("opening stream {stream_name}"))?;
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: opts.subject.clone(),
            deliver_policy: if opts.from_start {
                consumer::DeliverPolicy::All
            } else {
                consumer::DeliverPolicy::New
            },
            ..Default::default()
        })
        .await
        .context("creating an ordered consumer")?;
    let mut messages = consumer.messages().await.context("subscribing")?;
    let stdout = std::io::stdout();
    let mut seen = 0u64;
    if opts.count == Some(0) {
        return Ok(());
    }
    while let Some(msg) = messages.next().await {
        let msg = msg.context("reading messages")?;
        let seq = msg.info().ok().map(|i| i.stream_sequence);
        let line = json_line(&msg.subject, seq, msg.headers.as_ref(), &msg.payload);
        let mut out = stdout.lock();
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            // stdout closed (e.g. piped into `head`): done.
            return Ok(());
        }
        seen += 1;
        if opts.count.is_some_and(|n| seen >= n) {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_payload_printed_as_is() {
        assert_eq!(
            json_line("s", Some(1), None, b"{\n \"a\": 1}"),
            r#"{"a":1}"#
        );
    }

    #[test]
    fn other_payload_in_envelope() {
        let line = json_line("news.raw", Some(7), None, "你好\n".as_bytes());
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["subject"], "news.raw");
        assert_eq!(v["stream_seq"], 7);
        assert_eq!(v["payload"], "你好\n");
        assert!(!line.contains('\n'));
    }
}
