//! `newsflow-shared`: what every newsflow service has in common.
//!
//! * [`records`] — the JSON records that travel between stages (SPEC §5, §6).
//! * [`subjects`] — subject, stream, consumer and header names (SPEC §1).
//! * [`clock`] — RFC 3339 timestamps.
//! * [`config`] — settings every service shares (flag + env var, one-line errors, exit 2).
//! * [`logging`] — tracing set-up (`RUST_LOG`, text/json).
//! * [`nats`] — connecting with credentials, retrying while the server is down.
//! * [`jetstream`] — the streams and durable consumers, declared idempotently.
//! * [`bigpayload`] — payloads over `max_payload` through the object store.
//! * [`telemetry`] — Prometheus metrics, `/metrics`, `/healthz`, `/readyz`.
//! * [`runner`] — the stage runner loop: pull → transform → publish → PubAck → ack.
//!
//! The pure transforms depend on [`records`] alone.

pub mod bigpayload;
pub mod clock;
pub mod config;
pub mod jetstream;
pub mod logging;
pub mod nats;
pub mod records;
pub mod runner;
pub mod subjects;
pub mod telemetry;
