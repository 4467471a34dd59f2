//! The harness itself: a server starts, restarts on the same port, and stays on loopback.

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
