//! The harness itself: a server starts, restarts on the same port, and stays on loopback.

use futures::StreamExt;
use newsflow_e2e::NatsServer;

#[tokio::test]
async fn server_restarts_on_same_port_and_keeps_streams() {
    let mut s = NatsServer::start();
    let client = async_nats::connect(s.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "H".into(),
        subjects: vec!["h.x".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    js.publish("h.x", "1".into()).await.unwrap().await.unwrap();
    s.restart();
    let client = async_nats::connect(s.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream("H").await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1);
    assert!(s.url().starts_with("nats://127.0.0.1:"));
}

/// Servers started at once each get a port of their own and each URL reaches its own server
/// (the port comes from the server's ports file, not from a probe another test could race).
#[tokio::test]
async fn servers_started_together_each_reach_their_own_store() {
    let servers: Vec<NatsServer> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(NatsServer::start)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ports: Vec<u16> = servers.iter().map(|s| s.port()).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 4, "{ports:?}");
    for (i, server) in servers.iter().enumerate() {
        let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.unwrap());
        js.create_stream(async_nats::jetstream::stream::Config {
            name: format!("OWN{i}"),
            subjects: vec![format!("own.{i}")],
            ..Default::default()
        })
        .await
        .unwrap();
    }
    for (i, server) in servers.iter().enumerate() {
        let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.unwrap());
        let names: Vec<String> = js.stream_names().map(|n| n.unwrap()).collect().await;
        assert_eq!(names, vec![format!("OWN{i}")], "server {i}");
    }
}
