//! Connecting to NATS the same way in every service: credentials from [`NatsArgs`], a start-up
//! retry loop with exponential backoff that logs every attempt (a service started before its
//! server waits for it instead of crash-looping), and client options that reconnect forever
//! once connected.

use crate::config::NatsArgs;
use anyhow::Context as _;
use async_nats::{Client, ConnectErrorKind, ConnectOptions, Event};
use std::time::Duration;

/// First and largest pause between start-up connection attempts.
const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(10);

/// Client options for `args`: credentials, TLS, unlimited reconnects, events logged.
pub async fn connect_options(args: &NatsArgs, client_name: &str) -> anyhow::Result<ConnectOptions> {
    let mut opts = ConnectOptions::new();
    if let Some(path) = &args.creds {
        opts = opts.credentials_file(path).await.with_context(|| {
            format!(
                "NATS_CREDS: cannot read credentials file {}",
                path.display()
            )
        })?;
    }
    if let (Some(user), Some(pw)) = (&args.user, &args.password) {
        opts = opts.user_and_password(user.clone(), pw.expose().to_string());
    }
    if let Some(token) = &args.token {
        opts = opts.token(token.expose().to_string());
    }
    // `nats://user:password@host` / `nats://token@host`, unless set the explicit ways above
    // (the URLs reach the client without them: see `NatsUrls::server_addrs`).
    if args.user.is_none() && args.token.is_none() {
        match args.nats_url.credentials() {
            Some((user, Some(pw))) => {
                opts = opts.user_and_password(user.expose().to_string(), pw.expose().to_string())
            }
            Some((token, None)) => opts = opts.token(token.expose().to_string()),
            None => {}
        }
    }
    if let Some(seed) = &args.nkey_seed {
        opts = opts.nkey(seed.expose().to_string());
    }
    if let Some(ca) = &args.tls_ca {
        opts = opts.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        opts = opts
            .add_client_certificate(cert.clone(), key.clone())
            .require_tls(true);
    }
    Ok(opts
        .custom_inbox_prefix(args.inbox_prefix.clone())
        .name(client_name)
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(5))
        .reconnect_delay_callback(|attempts| backoff(attempts as u32))
        .event_callback(|event| async move {
            match event {
                Event::Connected => tracing::info!("NATS connection (re)established"),
                Event::Disconnected => tracing::warn!("NATS connection lost; reconnecting"),
                Event::LameDuckMode => tracing::warn!("NATS server entered lame duck mode"),
                Event::SlowConsumer(sid) => tracing::warn!(sid, "NATS slow consumer"),
                other => tracing::warn!("NATS: {other}"),
            }
        }))
}

/// Exponential backoff: 250 ms, 500 ms, 1 s … capped at 10 s.
pub fn backoff(attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(16));
    FIRST_RETRY.saturating_mul(factor).min(MAX_RETRY)
}

/// Retry `op` with [`backoff`] until it succeeds, logging each failure with what was being
/// attempted ("cannot {what} yet: …"). It never gives up: cancel it by dropping the future (in a
/// `select!` with the shutdown signal).
pub async fn retry_logged<T, F, Fut>(what: &str, mut op: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut attempt = 0u32;
    loop {
        match op().await {
            Ok(v) => return v,
            Err(e) => {
                let wait = backoff(attempt);
                attempt = attempt.saturating_add(1);
                tracing::warn!(
                    attempt,
                    retry_in_ms = wait.as_millis() as u64,
                    "cannot {what} yet: {e:#}"
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Connect, retrying with backoff while the server is unreachable; errors that retrying cannot
/// fix (bad credentials, TLS set-up) are returned.
pub async fn connect(args: &NatsArgs, client_name: &str) -> anyhow::Result<Client> {
    connect_with_attempts(args, client_name, None).await
}

/// Like [`connect`], giving up after `max_attempts` attempts when set (for command-line tools,
/// which should fail rather than wait forever).
pub async fn connect_with_attempts(
    args: &NatsArgs,
    client_name: &str,
    max_attempts: Option<u32>,
) -> anyhow::Result<Client> {
    let servers = args.nats_url.server_addrs();
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let opts = connect_options(args, client_name).await?;
        match opts.connect(servers.clone()).await {
            Ok(client) => {
                tracing::info!(url = %args.nats_url, attempt, "connected to NATS");
                return Ok(client);
            }
            Err(e) => match e.kind() {
                ConnectErrorKind::Io | ConnectErrorKind::TimedOut | ConnectErrorKind::Dns
                    if max_attempts.is_some_and(|max| attempt >= max) =>
                {
                    return Err(anyhow::anyhow!(e)).with_context(|| {
                        format!(
                            "NATS at {} not reachable after {attempt} attempts",
                            args.nats_url
                        )
                    })
                }
                ConnectErrorKind::Io | ConnectErrorKind::TimedOut | ConnectErrorKind::Dns => {
                    let wait = backoff(attempt - 1);
                    tracing::warn!(
                        url = %args.nats_url,
                        attempt,
                        retry_in_ms = wait.as_millis() as u64,
                        "NATS not reachable yet: {e}; retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    return Err(anyhow::anyhow!(e))
                        .with_context(|| format!("connecting to NATS at {}", args.nats_url))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(3), Duration::from_secs(2));
        assert_eq!(backoff(30), MAX_RETRY);
    }
}
