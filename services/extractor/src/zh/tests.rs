//! Per-sentence tests of the Chinese reader.
