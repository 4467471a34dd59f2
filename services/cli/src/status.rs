//! `newsflow status`: the pipeline at a glance — every stream (messages, bytes), every stage's
//! durable consumer (pending, ack pending, redelivered) and the dead-letter count. Human table by
//! default, one JSON document with `--json`.

use anyhow::Context as _;
use async_nats::jetstream;
use newsflow_shared::jetstream::{STAGES, STREAMS};
use newsflow_shared::subjects::STREAM_DEAD;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct StreamStatus {
    pub name: String,
    pub subject: String,
    pub present: bool,
    pub messages: u64,
    pub bytes: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub consumers: usize,
}

#[derive(Debug, Serialize)]
pub struct ConsumerStatus {
    pub stage: String,
    pub stream: String,
    pub present: bool,
    /// Messages not yet delivered (lag).
    pub pending: u64,
    /// Delivered, not yet acknowledged.
    pub ack_pending: usize,
    pub redelivered: usize,
    pub delivered_seq: u64,
    pub ack_floor_seq: u64,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub streams: Vec<StreamStatus>,
    pub consumers: Vec<ConsumerStatus>,
    pub dead_letters: u64,
}

pub async fn collect(js: &jetstream::Context) -> anyhow::Result<Status> {
    let mut streams = Vec::new();
    let mut dead_letters = 0;
    for spec in STREAMS {
        let mut st = StreamStatus {
            name: spec.name.to_string(),
            subject: spec.subject.to_string(),
            present: false,
            messages: 0,
            bytes: 0,
            first_seq: 0,
            last_seq: 0,
            consumers: 0,
        };
        match js.get_stream(spec.name).await {
            Ok(mut s) => {
                let info = s
                    .info()
                    .await
                    .with_context(|| format!("stream {}", spec.name))?;
                st.present = true;
                st.messages = info.state.messages;
                st.bytes = info.state.bytes;
                st.first_seq = info.state.first_sequence;
                st.last_seq = info.state.last_sequence;
                st.consumers = info.state.consumer_count;
                if spec.name == STREAM_DEAD {
                    dead_letters = info.state.messages;
                }
            }
            Err(e) => match e.kind() {
                jetstream::context::GetStreamErrorKind::JetStream(err)
                    if err.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND => {}
                _ => return Err(e).with_context(|| format!("stream {}", spec.name)),
            },
        }
        streams.push(st);
    }
    let mut consumers = Vec::new();
    for stage in STAGES {
        let mut cs = ConsumerStatus {
            stage: stage.name.to_string(),
            stream: stage.input_stream.to_string(),
            present: false,
            pending: 0,
            ack_pending: 0,
            redelivered: 0,
            delivered_seq: 0,
            ack_floor_seq: 0,
        };
        if let Ok(stream) = js.get_stream(stage.input_stream).await {
            if let Ok(info) = stream.consumer_info(stage.name).await {
                cs.present = true;
                cs.pending = info.num_pending;
                cs.ack_pending = info.num_ack_pending;
                cs.redelivered = info.num_redelivered;
                cs.delivered_seq = info.delivered.stream_sequence;
                cs.ack_floor_seq = info.ack_floor.stream_sequence;
            }
        }
        consumers.push(cs);
    }
    Ok(Status {
        streams,
        consumers,
        dead_letters,
    })
}

/// The human-readable table.
pub fn render(s: &Status) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<16} {:<16} {:>10} {:>12} {:>10}\n",
        "STREAM", "SUBJECT", "MESSAGES", "BYTES", "CONSUMERS"
    ));
    for st in &s.streams {
        if st.present {
            out.push_str(&format!(
                "{:<16} {:<16} {:>10} {:>12} {:>10}\n",
                st.name, st.subject, st.messages, st.bytes, st.consumers
            ));
        } else {
            out.push_str(&format!(
                "{:<16} {:<16} {:>10}\n",
                st.name, st.subject, "(missing)"
            ));
        }
    }
    out.push('\n');
    out.push_str(&format!(
        "{:<10} {:<14} {:>10} {:>12} {:>12}\n",
        "STAGE", "STREAM", "PENDING", "ACK_PENDING", "REDELIVERED"
    ));
    for c in &s.consumers {
        if c.present {
            out.push_str(&format!(
                "{:<10} {:<14} {:>10} {:>12} {:>12}\n",
                c.stage, c.stream, c.pending, c.ack_pending, c.redelivered
            ));
        } else {
            out.push_str(&format!(
                "{:<10} {:<14} {:>10}\n",
                c.stage, c.stream, "(no consumer)"
            ));
        }
    }
    out.push_str(&format!("\ndead letters: {}\n", s.dead_letters));
    out
}
