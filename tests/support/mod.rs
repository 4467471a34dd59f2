//! Test harness: a real nats-server per test on a free loopback port.
