//! The watcher: files landing in the inbox become `news.raw` messages (SPEC §2).
//!
//! * [`settings`] — the watcher's flags/env vars (plus the shared ones).
//! * [`names`] — temp names that are left alone; how paths are written into headers.
//! * [`settle`] — when a file is complete enough to take.
//! * [`intake`] — reading a file safely and the watcher's own reasons to refuse one.
//! * [`jsonl`] — one article per line of a `.jsonl`/`.ndjson` batch.
//! * [`message`] — headers, records and content-derived `Nats-Msg-Id`s.
//! * [`process`] — publish, await every PubAck, then move to done/ (or reject).
//! * [`dispose`] — moving into done/ and rejected/ without ever overwriting.
//! * [`service`] — the loop: events, scans, settle polling, bounded workers, clean shutdown.

pub mod dispose;
pub mod intake;
pub mod jsonl;
pub mod message;
pub mod names;
pub mod process;
pub mod service;
pub mod settings;
pub mod settle;

pub use service::{run, ConfigProblem};
pub use settings::WatcherArgs;
