//! Watching the bus during an end-to-end run: core subscriptions on the pipeline's subjects
//! record, per article (its `Newsflow-Source-Path`, i.e. the file name), when it was first seen
//! at each hop, how it was decided (unique / duplicate / rejected) and its indicator events
//! (distinct `Nats-Msg-Id`s, so a redelivery's republish is not counted twice).

use futures::StreamExt;
use newsflow_shared::subjects::{
    CLEAN, DUPLICATE, HDR_MSG_ID, HDR_SOURCE_PATH, INDICATORS_PREFIX, RAW, REJECTED, UNIQUE,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What was seen of one article, first arrival at each hop.
#[derive(Clone, Debug, Default)]
pub struct ArticleSeen {
    pub raw: Option<Instant>,
    pub clean: Option<Instant>,
    pub unique: Option<Instant>,
    pub duplicate: Option<Instant>,
    pub rejected: Option<Instant>,
    pub first_event: Option<Instant>,
    pub last_event: Option<Instant>,
    pub events: usize,
}

impl ArticleSeen {
    /// Decided by the deduper (or rejected by a stage).
    pub fn decided(&self) -> bool {
        self.unique.is_some() || self.duplicate.is_some() || self.rejected.is_some()
    }
}

/// Everything seen so far.
#[derive(Debug, Default)]
pub struct BusState {
    pub articles: HashMap<String, ArticleSeen>,
    pub event_ids: HashSet<String>,
    /// Event messages received, redeliveries included.
    pub event_messages: u64,
    /// Arrival of the last output (event, duplicate, rejection, unique decision).
    pub last_output: Option<Instant>,
    /// Messages without a source path header (not attributable).
    pub unattributed: u64,
}

#[derive(Clone, Copy, Debug)]
enum Hop {
    Raw,
    Clean,
    Unique,
    Duplicate,
    Rejected,
    Event,
}

/// The running subscriptions; state shared with the driver.
pub struct Collector {
    pub state: Arc<Mutex<BusState>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Collector {
    /// Subscribe on `client` to the decisions and events. The server has registered the
    /// subscriptions before this returns, so nothing published afterwards is missed.
    pub async fn start(client: &async_nats::Client) -> anyhow::Result<Collector> {
        let mut c = Collector {
            state: Arc::new(Mutex::new(BusState::default())),
            tasks: Vec::new(),
        };
        let subjects = vec![
            (UNIQUE.to_string(), Hop::Unique),
            (DUPLICATE.to_string(), Hop::Duplicate),
            (REJECTED.to_string(), Hop::Rejected),
            (format!("{INDICATORS_PREFIX}.>"), Hop::Event),
        ];
        c.subscribe(client, subjects).await?;
        Ok(c)
    }

    /// Also watch `news.raw` and `news.clean`, for the per-stage latency breakdown (only for the
    /// steady phase: in a burst it would add a copy of every payload to the bus's work).
    pub async fn watch_hops(&mut self, client: &async_nats::Client) -> anyhow::Result<()> {
        let subjects = vec![(RAW.to_string(), Hop::Raw), (CLEAN.to_string(), Hop::Clean)];
        self.subscribe(client, subjects).await
    }

    async fn subscribe(
        &mut self,
        client: &async_nats::Client,
        subjects: Vec<(String, Hop)>,
    ) -> anyhow::Result<()> {
        for (subject, hop) in subjects {
            let mut sub = client.subscribe(subject.clone()).await?;
            let state = self.state.clone();
            self.tasks.push(tokio::spawn(async move {
                while let Some(msg) = sub.next().await {
                    let at = Instant::now();
                    let header = |name: &str| {
                        msg.headers
                            .as_ref()
                            .and_then(|h| h.get(name))
                            .map(|v| v.as_str().to_string())
                    };
                    let path = header(HDR_SOURCE_PATH).or_else(|| {
                        // A rejection record names the file in its body.
                        serde_json::from_slice::<serde_json::Value>(&msg.payload)
                            .ok()
                            .and_then(|v| v["source"]["path"].as_str().map(str::to_string))
                    });
                    let Ok(mut st) = state.lock() else { return };
                    let Some(path) = path else {
                        st.unattributed += 1;
                        continue;
                    };
                    if let Hop::Event = hop {
                        st.event_messages += 1;
                        let id = header(HDR_MSG_ID).unwrap_or_default();
                        if !st.event_ids.insert(id) {
                            continue;
                        }
                    }
                    if !matches!(hop, Hop::Raw | Hop::Clean) {
                        st.last_output = Some(at);
                    }
                    let seen = st.articles.entry(path).or_default();
                    let slot = match hop {
                        Hop::Raw => &mut seen.raw,
                        Hop::Clean => &mut seen.clean,
                        Hop::Unique => &mut seen.unique,
                        Hop::Duplicate => &mut seen.duplicate,
                        Hop::Rejected => &mut seen.rejected,
                        Hop::Event => {
                            seen.events += 1;
                            seen.last_event = Some(at);
                            &mut seen.first_event
                        }
                    };
                    slot.get_or_insert(at);
                }
            }));
        }
        crate::natsd::round_trip(client).await
    }

    pub fn stop(self) {
        for t in self.tasks {
            t.abort();
        }
    }
}
