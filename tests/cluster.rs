//! The pipeline against a three-node JetStream cluster (issue 6, "scale beyond one machine"):
//! streams replicated three times (`NEWSFLOW_REPLICAS=3`), one watcher and two processes of each
//! consuming stage, every service given the three node URLs. One node (the JetStream meta
//! leader) is SIGKILLed mid-run and stays down: the indicator event ids must be those of an
//! undisturbed single-server run, each exactly once.
//!
//! Takes minutes on a small machine (cluster elections, an undisturbed reference run, services
//! reconnecting): `#[ignore]`d, run by `make test-cluster`. Needs `cargo build --workspace`.

#[path = "fault_runs.rs"]
mod fault_runs;

use fault_runs::*;
use newsflow_e2e::cluster::NatsCluster;
use std::time::Duration;

#[test]
#[ignore = "minutes long: run with `make test-cluster`"]
fn pipeline_on_a_three_node_cluster_survives_losing_a_node() {
    // The reference first, so that the two runs do not compete for the CPU.
    baseline();

    let mut cluster = NatsCluster::start();
    assert!(
        cluster.wait_formed(Duration::from_secs(120)),
        "no JetStream meta leader:\n{}",
        cluster.logs()
    );
    let urls = cluster.urls();
    let what = "3-node cluster, meta leader SIGKILLed mid-run";
    let mut killed = None;
    let got = run_with(&urls, 2, &[("NEWSFLOW_REPLICAS", "3")], what, |p, phase| {
        if phase == Phase::Break {
            wait_progress(p, "cleaner");
            let leader = (0..3)
                .find_map(|i| cluster.meta_leader_seen_by(i))
                .expect("a meta leader");
            let i = ["n1", "n2", "n3"]
                .iter()
                .position(|n| *n == leader)
                .expect("leader is n1, n2 or n3");
            cluster.kill_node(i);
            killed = Some(leader);
        }
    });
    eprintln!("killed node {killed:?}; {} event ids", got.events.len());
    assert!(killed.is_some());
    assert_same_events_exactly_once(what, &got);
}
