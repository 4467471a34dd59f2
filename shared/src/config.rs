//! Settings every newsflow service shares, as clap arguments that are both a flag and an env var.
//!
//! A service flattens [`CommonArgs`] into its own `#[derive(Parser)]` struct and parses with
//! [`parse_service_args`], which sets that service's default metrics address and turns any bad
//! value into exactly one line on stderr naming the setting (env var and flag) and exit status 2.
//! Tools that only talk to NATS (the CLI) flatten [`NatsArgs`] alone.
//!
//! Secrets (`NATS_PASSWORD`, `NATS_TOKEN`, `NATS_NKEY_SEED`, `NATS_CREDS` contents) are
//! `hide_env_values` in `--help` and print as `***` in `Debug`.

use clap::{Args, Parser, ValueEnum};
use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Default metrics/health address of each service (SPEC §8 ports).
pub const WATCHER_METRICS_ADDR: &str = "127.0.0.1:9101";
pub const CLEANER_METRICS_ADDR: &str = "127.0.0.1:9102";
pub const DEDUPER_METRICS_ADDR: &str = "127.0.0.1:9103";
pub const EXTRACTOR_METRICS_ADDR: &str = "127.0.0.1:9104";

/// How long JetStream waits for an ack before redelivering (consumer `ack_wait`).
pub const ACK_WAIT: Duration = Duration::from_secs(30);

/// A string that must never reach a log line: `Debug`/`Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret value, for handing to the NATS client only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(Secret(s.to_string()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// One or more NATS server URLs (`NATS_URL` may be a comma-separated list for a cluster).
#[derive(Clone, PartialEq, Eq)]
pub struct NatsUrls(Vec<String>);

impl NatsUrls {
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The servers as the NATS client wants them, without any `user:password@` (see
    /// [`NatsUrls::credentials`]): the client would otherwise print the password in its debug
    /// logs, and async-nats 0.51 does not authenticate with URL credentials anyway.
    pub fn server_addrs(&self) -> Vec<async_nats::ServerAddr> {
        // Each URL was validated by `from_str`, so parsing again cannot fail; filter_map keeps
        // this infallible without an unwrap.
        self.0
            .iter()
            .filter_map(|u| u.parse::<async_nats::ServerAddr>().ok())
            .filter_map(|addr| {
                let mut url = addr.into_inner();
                url.set_username("").ok()?;
                url.set_password(None).ok()?;
                async_nats::ServerAddr::from_url(url).ok()
            })
            .collect()
    }

    /// Credentials written into the first URL that has any: `nats://user:password@host` gives
    /// `(user, Some(password))`, `nats://token@host` gives `(token, None)`; percent-decoded.
    pub fn credentials(&self) -> Option<(Secret, Option<Secret>)> {
        self.0.iter().find_map(|u| {
            let addr = u.parse::<async_nats::ServerAddr>().ok()?;
            let user = addr.username()?;
            Some((
                Secret(percent_decode(user)),
                addr.password().map(|p| Secret(percent_decode(p))),
            ))
        })
    }
}

/// A subject prefix: tokens of letters, digits, `_` and `-` separated by single dots.
fn parse_inbox_prefix(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.split('.').all(|t| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err("must be a subject prefix like _INBOX_cleaner (letters, digits, _ and -, dot-separated; no wildcards)".into())
    }
}

/// `%XX` escapes of a URL's user-info decoded (invalid escapes kept as they are).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl FromStr for NatsUrls {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut urls = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            part.parse::<async_nats::ServerAddr>()
                .map_err(|e| format!("'{}' is not a NATS URL: {e}", redact_url(part)))?;
            urls.push(part.to_string());
        }
        if urls.is_empty() {
            return Err("no URL given".into());
        }
        Ok(NatsUrls(urls))
    }
}

/// `nats://user:pass@host` → `nats://***@host`, so URLs can be logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

impl fmt::Display for NatsUrls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self.0.iter().map(|u| redact_url(u)).collect();
        f.write_str(&shown.join(","))
    }
}

impl fmt::Debug for NatsUrls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where NATS is and how to authenticate. Used by the services and the CLI.
#[derive(Args, Clone)]
pub struct NatsArgs {
    /// NATS server URL(s); a comma-separated list for a cluster. (Its value from the
    /// environment is not shown in `--help`: a URL may hold `user:password@`.)
    #[arg(
        long = "nats-url",
        env = "NATS_URL",
        hide_env_values = true,
        default_value = "nats://127.0.0.1:4222",
        value_name = "URL[,URL...]"
    )]
    pub nats_url: NatsUrls,

    /// Prefix of this client's reply inboxes. Give each service its own (`_INBOX_cleaner`) so
    /// that the server can allow each user only its own replies (deploy/nats/secure.conf).
    #[arg(
        long = "nats-inbox-prefix",
        env = "NATS_INBOX_PREFIX",
        default_value = "_INBOX",
        value_parser = parse_inbox_prefix,
        value_name = "PREFIX"
    )]
    pub inbox_prefix: String,

    /// NATS credentials file (JWT + nkey seed).
    #[arg(long = "nats-creds", env = "NATS_CREDS", value_name = "FILE")]
    pub creds: Option<PathBuf>,

    /// NATS user name (with NATS_PASSWORD).
    #[arg(long = "nats-user", env = "NATS_USER", requires = "password")]
    pub user: Option<String>,

    /// NATS password (with NATS_USER).
    #[arg(
        long = "nats-password",
        env = "NATS_PASSWORD",
        hide_env_values = true,
        requires = "user"
    )]
    pub password: Option<Secret>,

    /// NATS authentication token.
    #[arg(long = "nats-token", env = "NATS_TOKEN", hide_env_values = true)]
    pub token: Option<Secret>,

    /// NATS nkey seed.
    #[arg(
        long = "nats-nkey-seed",
        env = "NATS_NKEY_SEED",
        hide_env_values = true
    )]
    pub nkey_seed: Option<Secret>,

    /// CA certificate (PEM) to verify the NATS server's TLS certificate; turns TLS on.
    #[arg(long = "nats-tls-ca", env = "NATS_TLS_CA", value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,

    /// Client certificate (PEM) for mutual TLS (with NATS_TLS_KEY).
    #[arg(
        long = "nats-tls-cert",
        env = "NATS_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// Client private key (PEM) for mutual TLS (with NATS_TLS_CERT).
    #[arg(
        long = "nats-tls-key",
        env = "NATS_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
}

impl fmt::Debug for NatsArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsArgs")
            .field("nats_url", &self.nats_url)
            .field("inbox_prefix", &self.inbox_prefix)
            .field("creds", &self.creds)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("token", &self.token)
            .field("nkey_seed", &self.nkey_seed)
            .field("tls_ca", &self.tls_ca)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .finish()
    }
}

/// Settings shared by the four pipeline services. Flatten with `#[command(flatten)]` and parse
/// with [`parse_service_args`] (which supplies the service's default `--metrics-addr`).
#[derive(Args, Clone, Debug)]
pub struct CommonArgs {
    #[command(flatten)]
    pub nats: NatsArgs,

    /// Address serving /metrics, /healthz and /readyz (defaults per service: watcher :9101,
    /// cleaner :9102, deduper :9103, extractor :9104 on 127.0.0.1).
    #[arg(long = "metrics-addr", env = "NEWSFLOW_METRICS_ADDR", value_name = "HOST:PORT",
          value_parser = parse_socket_addr)]
    pub metrics_addr: SocketAddr,

    /// JetStream stream replicas (1 for a single server, up to 5 in a cluster).
    #[arg(long = "replicas", env = "NEWSFLOW_REPLICAS", default_value_t = 1,
          value_parser = parse_replicas)]
    pub replicas: usize,

    /// Deliveries of one message before it goes to news.dead.
    #[arg(long = "max-deliver", env = "NEWSFLOW_MAX_DELIVER", default_value_t = 5,
          value_parser = parse_max_deliver)]
    pub max_deliver: i64,

    /// Messages processed at the same time by this process.
    #[arg(long = "concurrency", env = "NEWSFLOW_CONCURRENCY", default_value_t = 64,
          value_parser = parse_concurrency)]
    pub concurrency: usize,

    /// Log line format (filter with RUST_LOG, default info).
    #[arg(long = "log-format", env = "NEWSFLOW_LOG_FORMAT", value_enum,
          default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

fn parse_socket_addr(s: &str) -> Result<SocketAddr, String> {
    s.parse()
        .map_err(|_| "must be HOST:PORT with an IP address, e.g. 127.0.0.1:9102".to_string())
}

fn parse_int_in<T>(s: &str, lo: T, hi: T) -> Result<T, String>
where
    T: FromStr + PartialOrd + fmt::Display + Copy,
{
    match s.trim().parse::<T>() {
        Ok(v) if v >= lo && v <= hi => Ok(v),
        _ => Err(format!("must be an integer from {lo} to {hi}")),
    }
}

fn parse_replicas(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1usize, 5)
}

fn parse_max_deliver(s: &str) -> Result<i64, String> {
    parse_int_in(s, 1i64, 1000)
}

fn parse_concurrency(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1usize, 4096)
}

/// A configuration error as the user sees it: one line, exit status 2.
#[derive(Debug)]
pub struct ConfigError {
    pub line: String,
    pub exit_code: i32,
}

/// Parse `T` from `args` with `metrics_default` as the default of `--metrics-addr`.
/// `--help`/`--version` come back as an error whose `line` is the full text and exit code 0.
pub fn try_parse_service_args<T, I>(
    args: I,
    metrics_default: &'static str,
) -> Result<T, ConfigError>
where
    T: Parser,
    I: IntoIterator,
    I::Item: Into<OsString> + Clone,
{
    let mut cmd = T::command();
    let has_metrics = cmd.get_arguments().any(|a| a.get_id() == "metrics_addr");
    if has_metrics {
        cmd = cmd.mut_arg("metrics_addr", |a| {
            a.default_value(metrics_default).required(false)
        });
    }
    let bin = cmd.get_name().to_string();
    let matches = cmd
        .clone()
        .try_get_matches_from(args)
        .map_err(|e| clap_error_to_config_error(&cmd, &bin, e))?;
    T::from_arg_matches(&matches).map_err(|e| clap_error_to_config_error(&cmd, &bin, e))
}

/// [`try_parse_service_args`] on the process arguments; prints the error line and exits.
pub fn parse_service_args<T: Parser>(metrics_default: &'static str) -> T {
    match try_parse_service_args(std::env::args_os(), metrics_default) {
        Ok(t) => t,
        Err(e) => exit_with(e),
    }
}

/// Parse a CLI that has no metrics address, with the same one-line error rule.
pub fn parse_cli_args<T: Parser>() -> T {
    match try_parse_service_args(std::env::args_os(), "") {
        Ok(t) => t,
        Err(e) => exit_with(e),
    }
}

fn exit_with(e: ConfigError) -> ! {
    if e.exit_code == 0 {
        print!("{}", e.line);
        if !e.line.ends_with('\n') {
            println!();
        }
    } else {
        eprintln!("{}", e.line);
    }
    std::process::exit(e.exit_code)
}

/// One line naming the setting (env var and flag) and what was wrong with it.
fn clap_error_to_config_error(cmd: &clap::Command, bin: &str, e: clap::Error) -> ConfigError {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            return ConfigError {
                line: e.render().to_string(),
                exit_code: 0,
            }
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            return ConfigError {
                line: e.render().to_string(),
                exit_code: 2,
            }
        }
        _ => {}
    }
    let rendered = e.render().to_string();
    // The message proper: the lines before the first blank one (usage/help hints follow).
    let first = rendered
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let first = match first.trim_start_matches("error: ") {
        "" => "invalid arguments".to_string(),
        msg => msg.to_string(),
    };
    // Name the env var beside the flag when the failing argument has one.
    let mut env_names = Vec::new();
    let mut mentioned = Vec::new();
    if let Some(ContextValue::String(s)) = e.get(ContextKind::InvalidArg) {
        mentioned.push(s.clone());
    }
    if let Some(ContextValue::Strings(v)) = e.get(ContextKind::InvalidArg) {
        mentioned.extend(v.iter().cloned());
    }
    for m in &mentioned {
        let flag = m.split_whitespace().next().unwrap_or("");
        for arg in cmd.get_arguments() {
            if arg.get_long().map(|l| format!("--{l}")).as_deref() == Some(flag) {
                if let Some(env) = arg.get_env() {
                    env_names.push(env.to_string_lossy().into_owned());
                }
            }
        }
    }
    let line = if env_names.is_empty() {
        format!("{bin}: {first}")
    } else {
        format!("{bin}: bad setting {}: {first}", env_names.join(", "))
    };
    ConfigError {
        line: line.replace('\n', " "),
        exit_code: 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Parser, Debug)]
    #[command(name = "newsflow-test")]
    struct TestCli {
        #[command(flatten)]
        common: CommonArgs,
    }

    fn parse(args: &[&str]) -> Result<TestCli, ConfigError> {
        let mut v = vec!["newsflow-test"];
        v.extend_from_slice(args);
        try_parse_service_args(v, CLEANER_METRICS_ADDR)
    }

    #[test]
    fn defaults() {
        let c = parse(&[]).unwrap().common;
        assert_eq!(c.metrics_addr.to_string(), "127.0.0.1:9102");
        assert_eq!(c.replicas, 1);
        assert_eq!(c.max_deliver, 5);
        assert_eq!(c.nats.nats_url.as_slice(), ["nats://127.0.0.1:4222"]);
    }

    #[test]
    fn url_list() {
        let c = parse(&["--nats-url", "nats://a:4222, nats://b:4222"])
            .unwrap()
            .common;
        assert_eq!(c.nats.nats_url.as_slice().len(), 2);
    }

    #[test]
    fn bad_replicas_is_one_line_naming_the_setting() {
        let e = parse(&["--replicas", "9"]).unwrap_err();
        assert_eq!(e.exit_code, 2);
        assert!(!e.line.contains('\n'), "{}", e.line);
        assert!(e.line.contains("NEWSFLOW_REPLICAS"), "{}", e.line);
        assert!(e.line.contains("--replicas"), "{}", e.line);
        assert!(e.line.contains("1 to 5"), "{}", e.line);
    }

    #[test]
    fn bad_max_deliver() {
        let e = parse(&["--max-deliver", "0"]).unwrap_err();
        assert!(e.line.contains("NEWSFLOW_MAX_DELIVER"), "{}", e.line);
    }

    #[test]
    fn inbox_prefixes() {
        assert_eq!(
            parse_inbox_prefix("_INBOX_cleaner"),
            Ok("_INBOX_cleaner".into())
        );
        assert!(parse_inbox_prefix("a.b-c").is_ok());
        for bad in ["", "_INBOX.>", "a b", "a.", "*"] {
            assert!(parse_inbox_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn url_credentials_are_taken_out_of_the_server_addresses() {
        let urls: NatsUrls = "nats://al%40x:p%25w@127.0.0.1:4222,nats://127.0.0.1:4223"
            .parse()
            .unwrap();
        let addrs = urls.server_addrs();
        assert_eq!(addrs.len(), 2);
        for a in &addrs {
            assert!(!a.has_user_pass(), "{a:?}");
            assert!(!format!("{a:?}").contains("p%25w"));
        }
        let (user, pw) = urls.credentials().unwrap();
        assert_eq!(user.expose(), "al@x");
        assert_eq!(pw.unwrap().expose(), "p%w");
        let token: NatsUrls = "nats://s3cr3t@127.0.0.1:4222".parse().unwrap();
        let (t, none) = token.credentials().unwrap();
        assert_eq!((t.expose(), none.is_none()), ("s3cr3t", true));
        assert!("nats://127.0.0.1:4222"
            .parse::<NatsUrls>()
            .unwrap()
            .credentials()
            .is_none());
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let c = parse(&["--nats-token", "s3cr3t", "--nats-url", "nats://u:pw@h:4222"])
            .unwrap()
            .common;
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("s3cr3t"), "{dbg}");
        assert!(!dbg.contains("pw"), "{dbg}");
    }

    #[test]
    fn user_requires_password() {
        let e = parse(&["--nats-user", "me"]).unwrap_err();
        assert_eq!(e.exit_code, 2);
        assert!(!e.line.contains('\n'));
    }

    #[test]
    fn help_lists_env_and_default() {
        let e = parse(&["--help"]).unwrap_err();
        assert_eq!(e.exit_code, 0);
        assert!(e.line.contains("NEWSFLOW_MAX_DELIVER"));
        assert!(e.line.contains("127.0.0.1:9102"));
        assert!(!e.line.contains("s3cr3t"));
    }
}
