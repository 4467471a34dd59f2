//! `newsflow-shared`: what every newsflow service has in common.
//!
//! * [`records`] — the JSON records that travel between stages (SPEC §5, §6).
//! * [`subjects`] — subject, stream, consumer and header names (SPEC §1).
//!
//! The runtime pieces (config, JetStream setup, the stage runner, metrics/health) live in their
//! own modules beside these so that the pure transforms can depend on the records alone.

pub mod records;
pub mod subjects;
