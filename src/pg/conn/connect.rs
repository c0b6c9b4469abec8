//! Connecting: the hosts tried in order (or shuffled), `sslmode`'s
//! plaintext/TLS attempts and fallbacks, `connect_timeout` over the whole
//! attempt, `target_session_attrs`, and the client whose connection task
//! is already spawned; also the tokio-postgres `Config` for callers that
//! connect themselves.
//!
//! Owns the attempts and their order; gets its TLS configuration from
//! `tls` and its messages from `classify`, and must not read files or the
//! environment.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinHandle;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::classify::{classify, error_chain};
use super::error::{ConnError, FailureKind};
use super::resolved::{HostAddr, ResolvedConn, ResolvedHost, SslMode, TargetSessionAttrs};

impl ResolvedConn {
    /// A tokio-postgres configuration with every host. Limits: one password
    /// for all hosts (the explicit one, else the first host's from the
    /// password file); `sslmode` maps to tokio-postgres' three modes
    /// (`allow`/`prefer` → prefer, `require`/`verify-*` → require: pair it
    /// with [`ResolvedConn::make_tls`] for the verification);
    /// `target_session_attrs` beyond read-write/read-only is approximated.
    /// [`connect`] has none of these limits.
    pub fn to_tokio_config(&self) -> tokio_postgres::Config {
        let mut cfg = self.base_config();
        let all_have_addr = self.hosts.iter().all(|h| {
            matches!(
                h.addr,
                HostAddr::Tcp {
                    hostaddr: Some(_),
                    ..
                }
            )
        });
        for h in &self.hosts {
            match &h.addr {
                HostAddr::Socket(dir) => {
                    cfg.host_path(dir);
                }
                HostAddr::Tcp { host, hostaddr } => {
                    if let Some(name) = host {
                        cfg.host(name);
                    } else if let Some(a) = hostaddr {
                        cfg.host(a.to_string());
                    }
                    if all_have_addr {
                        if let Some(a) = hostaddr {
                            cfg.hostaddr(*a);
                        }
                    }
                }
            }
            cfg.port(h.port);
        }
        if let Some(pw) = self.hosts.iter().find_map(|h| h.password.as_ref()) {
            cfg.password(pw.as_bytes());
        }
        cfg.ssl_mode(match self.sslmode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        cfg.target_session_attrs(match self.target_session_attrs {
            TargetSessionAttrs::ReadWrite | TargetSessionAttrs::Primary => {
                tokio_postgres::config::TargetSessionAttrs::ReadWrite
            }
            TargetSessionAttrs::ReadOnly | TargetSessionAttrs::Standby => {
                tokio_postgres::config::TargetSessionAttrs::ReadOnly
            }
            _ => tokio_postgres::config::TargetSessionAttrs::Any,
        });
        if self.load_balance_hosts {
            cfg.load_balance_hosts(tokio_postgres::config::LoadBalanceHosts::Random);
        }
        cfg
    }

    /// Everything but hosts, ports, password and sslmode.
    fn base_config(&self) -> tokio_postgres::Config {
        let mut cfg = tokio_postgres::Config::new();
        cfg.user(&self.user).dbname(&self.dbname);
        if let Some(a) = &self.application_name {
            cfg.application_name(a);
        }
        if let Some(o) = &self.options {
            cfg.options(o);
        }
        if let Some(t) = self.connect_timeout {
            cfg.connect_timeout(t);
        }
        if let Some(k) = self.keepalives {
            cfg.keepalives(k);
        }
        if let Some(d) = self.keepalives_idle {
            cfg.keepalives_idle(d);
        }
        if let Some(d) = self.keepalives_interval {
            cfg.keepalives_interval(d);
        }
        if let Some(n) = self.keepalives_count {
            cfg.keepalives_retries(n);
        }
        if let Some(d) = self.tcp_user_timeout {
            cfg.tcp_user_timeout(d);
        }
        cfg.channel_binding(self.channel_binding);
        if self.tls.direct {
            cfg.ssl_negotiation(tokio_postgres::config::SslNegotiation::Direct);
        }
        cfg
    }

    /// Connect; see [`connect`].
    pub async fn connect(&self) -> Result<(tokio_postgres::Client, JoinHandle<()>), ConnError> {
        connect(self).await
    }

    fn host_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.hosts.len()).collect();
        if self.load_balance_hosts {
            use rand::seq::SliceRandom;
            order.shuffle(&mut rand::rng());
        }
        order
    }
}

/// Wraps the rustls connector to notice failed handshakes, which decide
/// `sslmode=prefer`'s fallback and the error classification.
#[derive(Clone)]
struct TrackedTls {
    inner: MakeRustlsConnect,
    failed: Arc<AtomicBool>,
}

struct TrackedConnect<T> {
    inner: T,
    failed: Arc<AtomicBool>,
}

impl<S> MakeTlsConnect<S> for TrackedTls
where
    MakeRustlsConnect: MakeTlsConnect<S>,
    <MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect: Send + 'static,
    <<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect as TlsConnect<S>>::Future: Send + 'static,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = <MakeRustlsConnect as MakeTlsConnect<S>>::Stream;
    type TlsConnect = TrackedConnect<<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect>;
    type Error = <MakeRustlsConnect as MakeTlsConnect<S>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Self::TlsConnect, Self::Error> {
        let inner =
            <MakeRustlsConnect as MakeTlsConnect<S>>::make_tls_connect(&mut self.inner, domain)?;
        Ok(TrackedConnect {
            inner,
            failed: self.failed.clone(),
        })
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, T> TlsConnect<S> for TrackedConnect<T>
where
    T: TlsConnect<S>,
    T::Future: Send + 'static,
{
    type Stream = T::Stream;
    type Error = T::Error;
    type Future = BoxFuture<Result<T::Stream, T::Error>>;

    fn connect(self, stream: S) -> Self::Future {
        let failed = self.failed;
        let fut = self.inner.connect(stream);
        Box::pin(async move {
            let result = fut.await;
            if result.is_err() {
                failed.store(true, Ordering::SeqCst);
            }
            result
        })
    }
}

/// Connect to the first host that accepts (in order, or shuffled with
/// `load_balance_hosts=random`), honouring `sslmode` and
/// `target_session_attrs`. The connection task is spawned on the current
/// tokio runtime; its handle ends when the connection closes.
pub async fn connect(
    conn: &ResolvedConn,
) -> Result<(tokio_postgres::Client, JoinHandle<()>), ConnError> {
    // TLS is never used over unix sockets, so a socket-only connection
    // needs no TLS setup (and cannot fail on it), as in libpq.
    let any_tcp = conn
        .hosts
        .iter()
        .any(|h| matches!(h.addr, HostAddr::Tcp { .. }));
    let tls = if conn.sslmode != SslMode::Disable && any_tcp {
        Some(conn.make_tls()?)
    } else {
        None
    };
    let passes = match conn.target_session_attrs {
        TargetSessionAttrs::PreferStandby => {
            vec![TargetSessionAttrs::Standby, TargetSessionAttrs::Any]
        }
        other => vec![other],
    };
    let mut failures = Vec::new();
    for attrs in passes {
        for i in conn.host_order() {
            match connect_host(conn, &conn.hosts[i], tls.as_ref(), attrs).await {
                Ok(ok) => return Ok(ok),
                Err(e) => {
                    tracing::debug!(error = %e, "connection attempt failed");
                    failures.push(e);
                }
            }
        }
    }
    if failures.len() == 1 {
        Err(failures.remove(0))
    } else {
        Err(ConnError::AllHostsFailed(failures))
    }
}

enum Plain {
    Disable,
    Prefer,
    Require,
}

async fn connect_host(
    conn: &ResolvedConn,
    host: &ResolvedHost,
    tls: Option<&MakeRustlsConnect>,
    attrs: TargetSessionAttrs,
) -> Result<(tokio_postgres::Client, JoinHandle<()>), ConnError> {
    let mut cfg = conn.base_config();
    match &host.addr {
        HostAddr::Socket(dir) => {
            cfg.host_path(dir);
        }
        HostAddr::Tcp {
            host: name,
            hostaddr,
        } => {
            // The name given (or the address) is what TLS checks.
            match (name, hostaddr) {
                (Some(n), _) => cfg.host(n),
                (None, Some(a)) => cfg.host(a.to_string()),
                (None, None) => cfg.host("localhost"),
            };
            if let Some(a) = hostaddr {
                cfg.hostaddr(*a);
            }
        }
    }
    cfg.port(host.port);
    if let Some(pw) = &host.password {
        cfg.password(pw.as_bytes());
    }
    // TLS is never used over unix sockets, whatever sslmode says (libpq).
    let tls = tls.filter(|_| !matches!(host.addr, HostAddr::Socket(_)));
    let only_error = |r: Result<_, (ConnError, bool)>| r.map_err(|(e, _)| e);
    let (client, handle) = match (conn.sslmode, tls) {
        (SslMode::Disable, _) | (_, None) => {
            only_error(attempt(conn, host, &cfg, Plain::Disable, None).await)?
        }
        (SslMode::Allow, Some(t)) => {
            match attempt(conn, host, &cfg, Plain::Disable, Some(t)).await {
                Ok(ok) => ok,
                Err((e, _)) if is_server_rejection(&e) => {
                    only_error(attempt(conn, host, &cfg, Plain::Require, Some(t)).await)?
                }
                Err((e, _)) => return Err(e),
            }
        }
        (SslMode::Prefer, Some(t)) => {
            match attempt(conn, host, &cfg, Plain::Prefer, Some(t)).await {
                Ok(ok) => ok,
                Err((_, true)) => {
                    only_error(attempt(conn, host, &cfg, Plain::Disable, Some(t)).await)?
                }
                Err((e, false)) => return Err(e),
            }
        }
        (_, Some(t)) => only_error(attempt(conn, host, &cfg, Plain::Require, Some(t)).await)?,
    };
    // Before any statement that carries a literal, in a round trip of its
    // own: with standard_conforming_strings off (a server or role default,
    // or a pooler's) backslashes in '…' literals are escapes, and every
    // literal pgkeep quotes assumes they are not.
    client
        .simple_query("SET standard_conforming_strings = on")
        .await
        .map_err(|e| ConnError::Connect {
            server: host.server_phrase(),
            kind: FailureKind::Other,
            sqlstate: e.as_db_error().map(|d| d.code().code().to_string()),
            detail: format!("could not set standard_conforming_strings: {}", error_chain(&e)),
        })?;
    check_session_attrs(&client, host, attrs).await?;
    Ok((client, handle))
}

fn is_server_rejection(e: &ConnError) -> bool {
    matches!(
        e,
        ConnError::Connect {
            kind: FailureKind::Rejected | FailureKind::Auth,
            sqlstate: Some(_),
            ..
        }
    )
}

/// One connection attempt. On failure also says whether the TLS handshake
/// was what failed.
async fn attempt(
    conn: &ResolvedConn,
    host: &ResolvedHost,
    cfg: &tokio_postgres::Config,
    mode: Plain,
    tls: Option<&MakeRustlsConnect>,
) -> Result<(tokio_postgres::Client, JoinHandle<()>), (ConnError, bool)> {
    let mut cfg = cfg.clone();
    cfg.ssl_mode(match mode {
        Plain::Disable => tokio_postgres::config::SslMode::Disable,
        Plain::Prefer => tokio_postgres::config::SslMode::Prefer,
        Plain::Require => tokio_postgres::config::SslMode::Require,
    });
    let failed = Arc::new(AtomicBool::new(false));
    let fut = async {
        match tls {
            Some(t) => {
                let tracked = TrackedTls {
                    inner: t.clone(),
                    failed: failed.clone(),
                };
                let (client, connection) = cfg.connect(tracked).await?;
                Ok::<_, tokio_postgres::Error>((client, spawn_connection(connection)))
            }
            None => {
                let (client, connection) = cfg.connect(tokio_postgres::NoTls).await?;
                Ok((client, spawn_connection(connection)))
            }
        }
    };
    let result = match conn.connect_timeout {
        // tokio-postgres' own timeout covers only the TCP connect; libpq's
        // covers the whole attempt.
        Some(limit) => match tokio::time::timeout(limit, fut).await {
            Ok(r) => r,
            Err(_) => {
                return Err((
                    ConnError::Connect {
                        server: host.server_phrase(),
                        kind: FailureKind::Timeout,
                        sqlstate: None,
                        detail: format!(
                            "timeout expired after {} s (connect_timeout)",
                            limit.as_secs()
                        ),
                    },
                    false,
                ))
            }
        },
        None => fut.await,
    };
    result.map_err(|e| {
        let tls_failed = failed.load(Ordering::SeqCst);
        (classify(conn, host, &e, tls_failed), tls_failed)
    })
}

fn spawn_connection<S, T>(connection: tokio_postgres::Connection<S, T>) -> JoinHandle<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "database connection ended with an error");
        }
    })
}

async fn check_session_attrs(
    client: &tokio_postgres::Client,
    host: &ResolvedHost,
    attrs: TargetSessionAttrs,
) -> Result<(), ConnError> {
    let (sql, want_on) = match attrs {
        TargetSessionAttrs::Any | TargetSessionAttrs::PreferStandby => return Ok(()),
        TargetSessionAttrs::ReadWrite => ("SHOW transaction_read_only", false),
        TargetSessionAttrs::ReadOnly => ("SHOW transaction_read_only", true),
        TargetSessionAttrs::Primary => ("SELECT pg_catalog.pg_is_in_recovery()", false),
        TargetSessionAttrs::Standby => ("SELECT pg_catalog.pg_is_in_recovery()", true),
    };
    let fail = |detail: String, kind| ConnError::Connect {
        server: host.server_phrase(),
        kind,
        sqlstate: None,
        detail,
    };
    let rows = client.simple_query(sql).await.map_err(|e| {
        fail(
            format!("could not check target_session_attrs: {}", error_chain(&e)),
            FailureKind::Other,
        )
    })?;
    let value = rows.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
        _ => None,
    });
    let on = matches!(value.as_deref(), Some("on" | "t" | "true"));
    if on == want_on {
        return Ok(());
    }
    let what = match attrs {
        TargetSessionAttrs::ReadWrite => "server is read-only",
        TargetSessionAttrs::ReadOnly => "server is not read-only",
        TargetSessionAttrs::Primary => "server is in hot standby mode",
        _ => "server is not in hot standby mode",
    };
    Err(fail(
        format!("{what} (target_session_attrs={})", attrs.as_str()),
        FailureKind::SessionAttrs,
    ))
}
