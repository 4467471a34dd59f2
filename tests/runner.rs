//! The shared stage runner against a real nats-server, with tiny transforms defined here:
//! headers and content ids on outputs, poison messages to news.dead while the rest flows,
//! panics caught, permanent errors to news.rejected, a server restart mid-run without loss or
//! duplicates, and a graceful stop that loses nothing.

#[path = "rt_util.rs"]
mod rt_util;

use newsflow_e2e::NatsServer;
use newsflow_shared::jetstream::CLEANER;
use newsflow_shared::records::{sha256_hex, RejectedRecord};
use newsflow_shared::runner::{self, Input, Output, RunnerConfig, StageError, Transform};
use newsflow_shared::subjects::*;
use rt_util::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Upper-cases the payload onto news.clean; fails, panics or rejects on marker payloads;
/// optionally sleeps to keep work in flight.
struct TestTransform {
    delay: Duration,
}

impl Transform for TestTransform {
    async fn process(&self, input: Input) -> Result<Vec<Output>, StageError> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        match &input.payload[..] {
            b"poison" => Err(StageError::Transient(anyhow::anyhow!(
                "cannot digest poison\nsecond line"
            ))),
            b"boom" => panic!("transform exploded"),
            b"hang" if input.delivered == 1 => std::future::pending().await,
            b"reject me" => Err(StageError::Permanent("not an article: too short".into())),
            p => Ok(vec![Output::new(
                CLEAN,
                String::from_utf8_lossy(p).to_uppercase().into_bytes(),
            )]),
        }
    }
}

fn start_runner(
    js: &async_nats::jetstream::Context,
    max_deliver: i64,
    concurrency: usize,
    delay: Duration,
) -> (
    watch::Sender<bool>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let (tx, rx) = watch::channel(false);
    let cfg = RunnerConfig {
        stage: CLEANER,
        max_deliver,
        concurrency,
    };
    let handle = tokio::spawn(runner::run(
        js.clone(),
        cfg,
        Arc::new(TestTransform { delay }),
        rx,
    ));
    (tx, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_carry_headers_and_content_ids_and_input_is_acked() {
    let server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 5).await;
    let (stop, handle) = start_runner(&js, 5, 4, Duration::ZERO);

    for i in 0..3 {
        publish_raw(&js, &format!("a{i}.txt"), format!("article {i}").as_bytes()).await;
    }
    assert!(
        eventually(Duration::from_secs(20), || async {
            count(&js, STREAM_CLEAN).await == 3
        })
        .await
    );
    assert!(eventually(Duration::from_secs(20), || consumer_idle(&js, &CLEANER)).await);

    let msgs = messages(&js, STREAM_CLEAN).await;
    let mut paths = HashSet::new();
    for m in &msgs {
        let mut id_input = CLEAN.as_bytes().to_vec();
        id_input.push(0);
        id_input.extend_from_slice(&m.payload);
        assert_eq!(
            header(m, HDR_MSG_ID).as_deref(),
            Some(sha256_hex(&id_input).as_str())
        );
        assert!(header(m, HDR_RECEIVED_AT).is_some());
        paths.insert(header(m, HDR_SOURCE_PATH).unwrap());
        assert!(String::from_utf8_lossy(&m.payload).starts_with("ARTICLE "));
    }
    assert_eq!(paths.len(), 3);

    // The same content again under another raw msg id (a re-drop): the runner processes it,
    // and JetStream drops the identical output by its Nats-Msg-Id.
    let mut h = async_nats::HeaderMap::new();
    h.insert(HDR_MSG_ID, "another-id");
    h.insert(HDR_SOURCE_PATH, "again.txt");
    js.publish_with_headers(RAW, h, "article 1".into())
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(eventually(Duration::from_secs(20), || consumer_idle(&js, &CLEANER)).await);
    assert_eq!(count(&js, STREAM_CLEAN).await, 3);

    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_goes_to_dead_after_max_deliver_and_the_rest_keeps_flowing() {
    let server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 3).await;
    let (stop, handle) = start_runner(&js, 3, 4, Duration::ZERO);

    publish_raw(&js, "poison.txt", b"poison").await;
    for i in 0..10 {
        publish_raw(&js, &format!("ok{i}.txt"), format!("fine {i}").as_bytes()).await;
    }
    // The good ones pass while the poison is still being retried.
    assert!(
        eventually(Duration::from_secs(30), || async {
            count(&js, STREAM_CLEAN).await == 10
        })
        .await
    );
    assert!(
        eventually(Duration::from_secs(60), || async {
            count(&js, STREAM_DEAD).await == 1
        })
        .await
    );
    assert!(eventually(Duration::from_secs(20), || consumer_idle(&js, &CLEANER)).await);

    let dead = messages(&js, STREAM_DEAD).await;
    let d = &dead[0];
    assert_eq!(&d.payload[..], b"poison");
    assert_eq!(header(d, HDR_STAGE).as_deref(), Some("cleaner"));
    assert_eq!(header(d, HDR_ATTEMPTS).as_deref(), Some("3"));
    assert_eq!(header(d, HDR_SOURCE_PATH).as_deref(), Some("poison.txt"));
    let err = header(d, HDR_ERROR).unwrap();
    assert!(err.contains("cannot digest poison"), "{err}");
    assert!(!err.contains('\n'));
    assert_eq!(count(&js, STREAM_CLEAN).await, 10);

    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_transform_is_caught_and_dead_lettered() {
    let server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 2).await;
    let (stop, handle) = start_runner(&js, 2, 4, Duration::ZERO);

    publish_raw(&js, "boom.txt", b"boom").await;
    publish_raw(&js, "after.txt", b"after the boom").await;
    assert!(
        eventually(Duration::from_secs(30), || async {
            count(&js, STREAM_DEAD).await == 1
        })
        .await
    );
    assert!(
        eventually(Duration::from_secs(20), || async {
            count(&js, STREAM_CLEAN).await == 1
        })
        .await
    );
    let d = &messages(&js, STREAM_DEAD).await[0];
    assert!(header(d, HDR_ERROR).unwrap().contains("panicked"));
    assert!(
        !handle.is_finished(),
        "runner must survive a panicking transform"
    );

    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_error_becomes_a_rejected_record() {
    let server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 5).await;
    let (stop, handle) = start_runner(&js, 5, 4, Duration::ZERO);

    publish_raw(&js, "bad.txt", b"reject me").await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            count(&js, STREAM_REJECTED).await == 1
        })
        .await
    );
    assert!(eventually(Duration::from_secs(20), || consumer_idle(&js, &CLEANER)).await);
    let m = &messages(&js, STREAM_REJECTED).await[0];
    let rec: RejectedRecord = serde_json::from_slice(&m.payload).unwrap();
    assert_eq!(rec.schema, "newsflow.rejected.v1");
    assert_eq!(rec.stage, "cleaner");
    assert_eq!(rec.source.path.as_deref(), Some("bad.txt"));
    assert_eq!(rec.reason, "not an article: too short");
    assert_eq!(count(&js, STREAM_DEAD).await, 0);

    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_mid_run_loses_nothing_and_duplicates_nothing() {
    const N: usize = 300;
    let mut server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 5).await;
    for i in 0..N {
        publish_raw(
            &js,
            &format!("f{i}.txt"),
            format!("story number {i}").as_bytes(),
        )
        .await;
    }
    let (stop, handle) = start_runner(&js, 5, 8, Duration::from_millis(20));
    assert!(
        eventually(Duration::from_secs(30), || async {
            count(&js, STREAM_CLEAN).await >= 30
        })
        .await
    );

    let before = count(&js, STREAM_CLEAN).await as usize;
    server.restart(); // SIGKILL + start on the same port and store
    assert!(
        before < N,
        "all work was done before the restart; nothing was tested"
    );

    assert!(
        eventually(Duration::from_secs(180), || async {
            count(&js, STREAM_CLEAN).await as usize >= N && consumer_idle(&js, &CLEANER).await
        })
        .await,
        "pipeline did not recover: {} of {N} outputs; {}",
        count(&js, STREAM_CLEAN).await,
        consumer_state(&js, &CLEANER).await
    );
    let msgs = messages(&js, STREAM_CLEAN).await;
    let distinct: HashSet<_> = msgs.iter().map(|m| m.payload.clone()).collect();
    assert_eq!(msgs.len(), N, "duplicates reached news.clean");
    assert_eq!(distinct.len(), N);
    assert!(!handle.is_finished());

    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_mid_work_finishes_in_flight_and_loses_nothing() {
    const N: usize = 200;
    let server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 5).await;
    for i in 0..N {
        publish_raw(&js, &format!("g{i}.txt"), format!("item {i}").as_bytes()).await;
    }
    let (stop, handle) = start_runner(&js, 5, 8, Duration::from_millis(50));
    assert!(
        eventually(Duration::from_secs(30), || async {
            count(&js, STREAM_CLEAN).await >= 20
        })
        .await
    );
    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
    let after_stop = count(&js, STREAM_CLEAN).await as usize;
    assert!(after_stop < N, "stopped too late to test anything");

    // A new runner (another replica, or the restarted service) picks up the rest.
    let (stop, handle) = start_runner(&js, 5, 8, Duration::ZERO);
    assert!(
        eventually(Duration::from_secs(120), || async {
            count(&js, STREAM_CLEAN).await as usize == N && consumer_idle(&js, &CLEANER).await
        })
        .await,
        "{} of {N} outputs; {}",
        count(&js, STREAM_CLEAN).await,
        consumer_state(&js, &CLEANER).await
    );
    assert_eq!(count(&js, STREAM_CLEAN).await as usize, N);
    assert_eq!(count(&js, STREAM_DEAD).await, 0);
    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
}

/// Outputs the sha256 and length of the (resolved) payload.
struct Digest;

impl Transform for Digest {
    async fn process(&self, input: Input) -> Result<Vec<Output>, StageError> {
        let line = format!("{} {}", input.payload.len(), sha256_hex(&input.payload));
        Ok(vec![Output::new(CLEAN, line.into_bytes())])
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_over_max_payload_travels_through_the_object_store() {
    let server = NatsServer::start();
    let (client, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 5).await;
    let limit = newsflow_shared::bigpayload::inline_limit(&client);
    let big: Vec<u8> = (0..limit * 2 + 12345).map(|i| (i % 251) as u8).collect();

    let reference = newsflow_shared::bigpayload::put(&js, 1, &big)
        .await
        .unwrap();
    assert!(reference.body.len() < 1024);
    assert_eq!(reference.sha256, sha256_hex(&big));
    // Idempotent: the same content again reuses the object.
    let again = newsflow_shared::bigpayload::put(&js, 1, &big)
        .await
        .unwrap();
    assert_eq!(again.sha256, reference.sha256);

    let mut h = reference.headers.clone();
    h.insert(HDR_MSG_ID, reference.sha256.as_str());
    h.insert(HDR_SOURCE_PATH, "huge.html");
    js.publish_with_headers(RAW, h, reference.body.clone())
        .await
        .unwrap()
        .await
        .unwrap();
    publish_raw(&js, "small.txt", b"small").await;

    let (stop, rx) = watch::channel(false);
    let handle = tokio::spawn(runner::run(
        js.clone(),
        RunnerConfig {
            stage: CLEANER,
            max_deliver: 5,
            concurrency: 4,
        },
        Arc::new(Digest),
        rx,
    ));
    assert!(
        eventually(Duration::from_secs(30), || async {
            count(&js, STREAM_CLEAN).await == 2
        })
        .await
    );
    let outs: Vec<String> = messages(&js, STREAM_CLEAN)
        .await
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect();
    assert!(
        outs.contains(&format!("{} {}", big.len(), sha256_hex(&big))),
        "{outs:?}"
    );
    assert!(
        outs.contains(&format!("5 {}", sha256_hex(b"small"))),
        "{outs:?}"
    );
    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_handler_died_is_dead_lettered_once_past_max_deliver() {
    let server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 1).await;
    publish_raw(&js, "hang.txt", b"hang").await;
    // The first runner hangs on the message and is then killed (its task dropped mid-message),
    // like a process dying: no ack, no nak.
    let (_stop, handle) = start_runner(&js, 1, 4, Duration::ZERO);
    assert!(
        eventually(Duration::from_secs(20), || async {
            consumer_state(&js, &CLEANER)
                .await
                .contains("ack_pending=1")
        })
        .await
    );
    handle.abort();
    let _ = handle.await;

    // After ack_wait the server redelivers it (delivery 2 > max_deliver 1): straight to
    // news.dead, never stuck between the server's limit and ours.
    let (stop, handle) = start_runner(&js, 1, 4, Duration::ZERO);
    assert!(
        eventually(Duration::from_secs(90), || async {
            count(&js, STREAM_DEAD).await == 1
        })
        .await,
        "{}",
        consumer_state(&js, &CLEANER).await
    );
    let d = &messages(&js, STREAM_DEAD).await[0];
    assert!(header(d, HDR_ERROR)
        .unwrap()
        .contains("no outcome after 1 deliveries"));
    assert_eq!(header(d, HDR_ATTEMPTS).as_deref(), Some("2"));
    assert!(eventually(Duration::from_secs(20), || consumer_idle(&js, &CLEANER)).await);
    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
}
