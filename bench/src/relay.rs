//! The transport's own ceiling: the same payloads through four JetStream hops with no work in
//! between. A publisher puts every payload on hop 1 (with a `Nats-Msg-Id`, awaiting PubAcks,
//! `in_flight` outstanding); three relays, each on its own connection, pull from hop k through
//! a durable consumer configured like the stages', publish to hop k+1 with a `Nats-Msg-Id`,
//! await the PubAck, then ack; a core subscription on hop 4 is the sink. Streams are
//! configured like the pipeline's (file storage, the same duplicate window and retention).
//!
//! With a [`Shape`] the same relay also carries the pipeline's own extra traffic and no work:
//! KV creates on the dedup hop and one message per indicator event on the last hop. That is the
//! transport floor of the pipeline's message pattern, which processing can only add to.

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer, stream};
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use newsflow_shared::jetstream::{stream_config, StreamSpec, MAX_ACK_PENDING, RETENTION};
use newsflow_shared::subjects::HDR_MSG_ID;
use serde::Serialize;
use std::collections::HashSet;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

const HOPS: [StreamSpec; 4] = [
    StreamSpec {
        name: "BENCH_HOP1",
        subject: "bench.hop1",
        max_age: RETENTION,
    },
    StreamSpec {
        name: "BENCH_HOP2",
        subject: "bench.hop2",
        max_age: RETENTION,
    },
    StreamSpec {
        name: "BENCH_HOP3",
        subject: "bench.hop3",
        max_age: RETENTION,
    },
    StreamSpec {
        name: "BENCH_HOP4",
        subject: "bench.hop4",
        max_age: RETENTION,
    },
];

/// The traffic each article makes besides one message per hop. The default is the bare relay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Shape {
    /// KV creates per article on hop 2 → 3, where the deduper writes its state (awaited
    /// together before the publish). Spread over the articles like [`spread`].
    pub kv_writes_per_article: f64,
    /// Messages per article on hop 4, as the extractor publishes one per indicator event; None:
    /// the payload itself, once.
    pub events_per_article: Option<f64>,
    /// Payload bytes of each hop-4 message when `events_per_article` is set.
    pub event_bytes: usize,
}

/// How many of `per_article` (a mean) article `i` gets: ⌊(i+1)·m⌋ − ⌊i·m⌋, so that any run of
/// articles gets the mean within one.
pub fn spread(i: u64, per_article: f64) -> usize {
    let at = |k: u64| (k as f64 * per_article.max(0.0)).floor() as usize;
    at(i + 1) - at(i)
}

/// The article index of a relayed message: ids are `relay-<i>`, then `relay-<i>>HOP…`.
fn article_index(id: &str) -> Option<u64> {
    id.strip_prefix("relay-")?.split('>').next()?.parse().ok()
}

const FLOOR_BUCKET: &str = "bench_floor";

#[derive(Clone, Debug, Default, Serialize)]
pub struct RelayRun {
    pub articles: usize,
    pub shape: Shape,
    /// Messages the sink on hop 4 expected (and saw, when complete).
    pub messages_at_sink: usize,
    pub complete: bool,
    pub in_flight: usize,
    /// First publish to the last message at the sink.
    pub seconds: f64,
    pub articles_per_s: f64,
    /// articles/s of every round when several were run (this run is their median).
    pub rounds: Vec<f64>,
    /// CPU seconds of nats-server and of the relay process during the run.
    pub cpu_seconds: std::collections::BTreeMap<String, f64>,
}

async fn relay_hop(
    url: String,
    from: &'static StreamSpec,
    to: &'static StreamSpec,
    in_flight: usize,
    kv_writes: f64,
    events: Option<(f64, usize)>,
) -> anyhow::Result<()> {
    let client = async_nats::connect(&url).await?;
    let js = jetstream::new(client);
    let kv = if kv_writes > 0.0 {
        Some(js.get_key_value(FLOOR_BUCKET).await?)
    } else {
        None
    };
    let stream = js.get_stream(from.name).await?;
    let consumer: consumer::PullConsumer = stream
        .get_or_create_consumer(
            &format!("relay_{}", from.name.to_lowercase()),
            consumer::pull::Config {
                durable_name: Some(format!("relay_{}", from.name.to_lowercase())),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: newsflow_shared::config::ACK_WAIT,
                max_ack_pending: MAX_ACK_PENDING,
                filter_subject: from.subject.to_string(),
                ..Default::default()
            },
        )
        .await?;
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(in_flight.clamp(1, 256))
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await?;
    let permits = Arc::new(Semaphore::new(in_flight));
    while let Some(msg) = messages.next().await {
        let msg = msg?;
        let permit = permits.clone().acquire_owned().await?;
        let js = js.clone();
        let kv = kv.clone();
        tokio::spawn(async move {
            let mut headers = HeaderMap::new();
            let id = msg
                .headers
                .as_ref()
                .and_then(|h| h.get(HDR_MSG_ID))
                .map(|v| format!("{}>{}", v.as_str(), to.name))
                .unwrap_or_default();
            let index = article_index(&id).unwrap_or(0);
            let published = async {
                if let Some(kv) = &kv {
                    let writes = (0..spread(index, kv_writes)).map(|j| {
                        kv.create(format!("{index}.{j}"), Bytes::from_static(&[b'x'; 64]))
                    });
                    for w in futures::future::join_all(writes).await {
                        w?;
                    }
                }
                let mut acks = Vec::new();
                match events {
                    None => {
                        headers.insert(HDR_MSG_ID, id.as_str());
                        acks.push(
                            js.publish_with_headers(to.subject, headers, msg.payload.clone())
                                .await?,
                        );
                    }
                    Some((per_article, bytes)) => {
                        let body = msg.payload.slice(..bytes.min(msg.payload.len()));
                        for j in 0..spread(index, per_article) {
                            let mut headers = HeaderMap::new();
                            headers.insert(HDR_MSG_ID, format!("{id}#{j}").as_str());
                            acks.push(
                                js.publish_with_headers(to.subject, headers, body.clone())
                                    .await?,
                            );
                        }
                    }
                }
                for ack in
                    futures::future::join_all(acks.into_iter().map(IntoFuture::into_future)).await
                {
                    ack?;
                }
                msg.ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
                anyhow::Ok(())
            };
            if let Err(e) = published.await {
                eprintln!("relay {}: {e:#}", to.name);
            }
            drop(permit);
        });
    }
    Ok(())
}

/// The median of several runs of one shape by articles/s, with every round's rate; an
/// incomplete run, if any, instead (the run then failed).
pub fn median_run(mut runs: Vec<RelayRun>) -> Option<RelayRun> {
    let rounds: Vec<f64> = runs.iter().map(|r| r.articles_per_s).collect();
    let mut chosen = match runs.iter().position(|r| !r.complete) {
        Some(i) => runs.swap_remove(i),
        None => {
            runs.sort_by(|a, b| a.articles_per_s.total_cmp(&b.articles_per_s));
            let mid = runs.len() / 2;
            runs.into_iter().nth(mid)?
        }
    };
    chosen.rounds = rounds;
    Some(chosen)
}

/// Relay `payloads` through four hops on a fresh nats-server, with the extra traffic of
/// `shape`; `timeout` bounds the wait.
pub async fn run(
    payloads: &[Bytes],
    in_flight: usize,
    shape: Shape,
    timeout: Duration,
) -> anyhow::Result<RelayRun> {
    let nats = tokio::task::spawn_blocking(crate::natsd::NatsServer::start)
        .await
        .context("starting nats-server")??;
    let url = nats.url();
    let nats_pid = Some(nats.pid());
    let client = async_nats::ConnectOptions::new()
        .subscription_capacity(1 << 20)
        .connect(&url)
        .await?;
    let js = jetstream::new(client.clone());
    for spec in &HOPS {
        let cfg: stream::Config = stream_config(spec, 1);
        js.get_or_create_stream(cfg)
            .await
            .with_context(|| format!("creating stream {}", spec.name))?;
    }
    if shape.kv_writes_per_article > 0.0 {
        // Configured like the dedup bucket (see newsflow_deduper::kv).
        let cfg = newsflow_deduper::kv::KvConfig {
            bucket: FLOOR_BUCKET.to_string(),
            ..Default::default()
        };
        js.get_or_create_stream(newsflow_deduper::kv::stream_config(&cfg))
            .await
            .context("creating the floor's KV stream")?;
    }
    let mut relays = Vec::new();
    for k in 0..3 {
        relays.push(tokio::spawn(relay_hop(
            url.clone(),
            &HOPS[k],
            &HOPS[k + 1],
            in_flight,
            if k == 1 {
                shape.kv_writes_per_article
            } else {
                0.0
            },
            if k == 2 {
                shape
                    .events_per_article
                    .map(|e| (e, shape.event_bytes.max(1)))
            } else {
                None
            },
        )));
    }
    let n = payloads.len();
    let expected = match shape.events_per_article {
        None => n,
        Some(e) => (0..n as u64).map(|i| spread(i, e)).sum(),
    };
    let mut sink = client.subscribe(HOPS[3].subject).await?;
    crate::natsd::round_trip(&client).await?;
    let sink_task = tokio::spawn(async move {
        let mut seen = HashSet::with_capacity(expected);
        let mut last = None;
        while seen.len() < expected {
            let Some(msg) = sink.next().await else { break };
            let id = msg
                .headers
                .as_ref()
                .and_then(|h| h.get(HDR_MSG_ID))
                .map(|v| v.as_str().to_string())
                .unwrap_or_default();
            if seen.insert(id) {
                last = Some(Instant::now());
            }
        }
        (seen.len(), last)
    });

    let cpu_before = (
        nats_pid.and_then(crate::procs::cpu_seconds),
        crate::procs::cpu_seconds(std::process::id()),
    );
    let start = Instant::now();
    let mut acks = FuturesUnordered::new();
    for (i, payload) in payloads.iter().enumerate() {
        if acks.len() >= in_flight {
            if let Some(r) = acks.next().await {
                let r: Result<_, _> = r;
                r.context("PubAck on hop 1")?;
            }
        }
        let mut headers = HeaderMap::new();
        headers.insert(HDR_MSG_ID, format!("relay-{i}").as_str());
        let ack = js
            .publish_with_headers(HOPS[0].subject, headers, payload.clone())
            .await
            .context("publishing to hop 1")?;
        acks.push(ack.into_future());
    }
    while let Some(r) = acks.next().await {
        r.context("PubAck on hop 1")?;
    }
    let (got, last) = match tokio::time::timeout(timeout, sink_task).await {
        Ok(joined) => joined.context("sink task")?,
        Err(_) => (0, None),
    };
    let cpu_after = (
        nats_pid.and_then(crate::procs::cpu_seconds),
        crate::procs::cpu_seconds(std::process::id()),
    );
    for r in relays {
        // A relay that stopped on its own failed: say why (the run is then incomplete).
        if r.is_finished() {
            match r.await {
                Ok(Err(e)) => eprintln!("relay stopped: {e:#}"),
                Err(e) => eprintln!("relay task: {e}"),
                Ok(Ok(())) => eprintln!("relay stopped: its pull stream ended"),
            }
        } else {
            r.abort();
        }
    }
    let complete = got == expected;
    let seconds = last
        .map(|l| l.saturating_duration_since(start).as_secs_f64())
        .unwrap_or_else(|| start.elapsed().as_secs_f64())
        .max(1e-9);
    let mut cpu_seconds = std::collections::BTreeMap::new();
    if let (Some(b), Some(a)) = (cpu_before.0, cpu_after.0) {
        cpu_seconds.insert("nats-server".to_string(), ((a - b) * 100.0).round() / 100.0);
    }
    if let (Some(b), Some(a)) = (cpu_before.1, cpu_after.1) {
        cpu_seconds.insert("relay".to_string(), ((a - b) * 100.0).round() / 100.0);
    }
    drop(nats);
    Ok(RelayRun {
        articles: n,
        shape,
        messages_at_sink: expected,
        rounds: Vec::new(),
        complete,
        in_flight,
        seconds,
        articles_per_s: if complete { n as f64 / seconds } else { 0.0 },
        cpu_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_gives_the_mean_over_any_run() {
        let per: Vec<usize> = (0..10).map(|i| spread(i, 2.5)).collect();
        assert_eq!(per.iter().sum::<usize>(), 25);
        assert!(per.iter().all(|&k| k == 2 || k == 3));
        assert_eq!((0..1000).map(|i| spread(i, 0.4)).sum::<usize>(), 400);
        assert_eq!(spread(7, 0.0), 0);
    }

    #[test]
    fn median_run_keeps_the_middle_rate_and_every_round() {
        let run = |rate: f64, complete| RelayRun {
            articles_per_s: rate,
            complete,
            ..RelayRun::default()
        };
        let m = median_run(vec![run(9.0, true), run(3.0, true), run(5.0, true)]).unwrap();
        assert_eq!(m.articles_per_s, 5.0);
        assert_eq!(m.rounds, vec![9.0, 3.0, 5.0]);
        let failed = median_run(vec![run(9.0, true), run(0.0, false)]).unwrap();
        assert!(!failed.complete);
        assert!(median_run(Vec::new()).is_none());
    }

    #[test]
    fn article_index_reads_every_hop_id() {
        assert_eq!(article_index("relay-42"), Some(42));
        assert_eq!(article_index("relay-42>BENCH_HOP2>BENCH_HOP3"), Some(42));
        assert_eq!(article_index("other"), None);
    }
}
