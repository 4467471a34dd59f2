//! Helpers shared by the runtime tests (runner, services, cli): JetStream set-up, publishing
//! raw messages, reading streams back, waiting for conditions without fixed sleeps.

#![allow(dead_code)]

use async_nats::jetstream::{self, message::StreamMessage};
use async_nats::HeaderMap;
use newsflow_shared::jetstream::{ensure_consumer, ensure_streams, StageSpec};
use newsflow_shared::subjects::{HDR_MSG_ID, HDR_RECEIVED_AT, HDR_SOURCE_PATH};
use std::future::Future;
use std::process::Child;
use std::time::{Duration, Instant};

pub async fn connect(url: &str) -> (async_nats::Client, jetstream::Context) {
    let client = async_nats::connect(url)
        .await
        .expect("connect to test server");
    let js = jetstream::new(client.clone());
    (client, js)
}

/// Streams plus `stage`'s durable consumer with `max_deliver`.
pub async fn setup(js: &jetstream::Context, stage: &StageSpec, max_deliver: i64) {
    ensure_streams(js, 1).await.expect("declare streams");
    ensure_consumer(js, stage, max_deliver)
        .await
        .expect("declare consumer");
}

/// Publish one raw message as the watcher would (content-hash msg id, path, received-at).
pub async fn publish_raw(js: &jetstream::Context, path: &str, body: &[u8]) {
    let mut h = HeaderMap::new();
    h.insert(
        HDR_MSG_ID,
        newsflow_shared::records::sha256_hex(body).as_str(),
    );
    h.insert(HDR_SOURCE_PATH, path);
    h.insert(
        HDR_RECEIVED_AT,
        newsflow_shared::clock::now_rfc3339().as_str(),
    );
    js.publish_with_headers(
        newsflow_shared::subjects::RAW,
        h,
        bytes::Bytes::copy_from_slice(body),
    )
    .await
    .expect("publish raw")
    .await
    .expect("raw PubAck");
}

/// Number of messages in a stream.
pub async fn count(js: &jetstream::Context, stream: &str) -> u64 {
    match js.get_stream(stream).await {
        Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
        Err(_) => 0,
    }
}

/// Every message of a stream, in order.
pub async fn messages(js: &jetstream::Context, stream: &str) -> Vec<StreamMessage> {
    let mut s = js.get_stream(stream).await.expect("stream");
    let state = s.info().await.expect("stream info").state.clone();
    let mut out = Vec::new();
    if state.messages == 0 {
        return out;
    }
    for seq in state.first_sequence..=state.last_sequence {
        if let Ok(m) = s.get_raw_message(seq).await {
            out.push(m);
        }
    }
    out
}

/// Whether `stage`'s consumer has nothing pending and nothing unacknowledged.
pub async fn consumer_idle(js: &jetstream::Context, stage: &StageSpec) -> bool {
    let Ok(stream) = js.get_stream(stage.input_stream).await else {
        return false;
    };
    match stream.consumer_info(stage.name).await {
        Ok(i) => i.num_pending == 0 && i.num_ack_pending == 0,
        Err(_) => false,
    }
}

/// Consumer counters for assertion messages.
pub async fn consumer_state(js: &jetstream::Context, stage: &StageSpec) -> String {
    let Ok(stream) = js.get_stream(stage.input_stream).await else {
        return "no stream".into();
    };
    match stream.consumer_info(stage.name).await {
        Ok(i) => format!(
            "pending={} ack_pending={} redelivered={} delivered={} ack_floor={}",
            i.num_pending,
            i.num_ack_pending,
            i.num_redelivered,
            i.delivered.stream_sequence,
            i.ack_floor.stream_sequence
        ),
        Err(e) => format!("consumer info: {e}"),
    }
}

/// Poll `cond` every 100 ms until it holds or `timeout` passes; returns whether it held.
pub async fn eventually<F, Fut>(timeout: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if cond().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn header(m: &StreamMessage, name: &str) -> Option<String> {
    m.headers.get(name).map(|v| v.as_str().to_string())
}

/// Send a signal to a child process (SIGTERM = 15, SIGKILL = 9).
pub fn signal(child: &Child, sig: i32) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{sig} {}", child.id());
}

/// Wait for a child to exit, up to `timeout`.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            return Some(st);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Minimal HTTP GET on loopback: (status code, body).
pub fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let code = buf.split_whitespace().nth(1)?.parse().ok()?;
    let body = buf.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Some((code, body))
}
