//! The secret that opens a key file, and where a user gives it: restic's
//! habits — a password file, a command that prints the password, or the
//! environment — or a file holding a raw 256-bit key.
//!
//! Owns reading those sources; never prints, logs or keeps a secret longer
//! than needed (it is zeroed when dropped).

use std::path::PathBuf;

use zeroize::Zeroize;

use crate::repo::error::{RepoError, Result};

/// A password (any bytes; the first line of its source, without the line end).
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A raw 256-bit key.
pub struct RawKey([u8; 32]);

impl RawKey {
    pub fn from_bytes(b: [u8; 32]) -> RawKey {
        RawKey(b)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for RawKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// What opens a key file.
pub enum Secret {
    Password(Password),
    RawKey(RawKey),
}

impl Secret {
    pub fn password(p: String) -> Secret {
        Secret::Password(Password(p))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Secret::Password(_) => "Secret::Password(…)",
            Secret::RawKey(_) => "Secret::RawKey(…)",
        })
    }
}

/// Where the secret comes from. The first one set wins, in this order:
/// `key_file`, `password_file`, `password_command`, then the environment
/// (`PGKEEP_KEY_FILE`, `PGKEEP_PASSWORD_FILE`, `PGKEEP_PASSWORD_COMMAND`,
/// `PGKEEP_PASSWORD`). Never a password on the command line: other users
/// see a process's arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PasswordSource {
    /// A file holding a raw key: 64 hex digits (and optional whitespace).
    pub key_file: Option<PathBuf>,
    /// A file whose first line is the password.
    pub password_file: Option<PathBuf>,
    /// A shell command whose first line of output is the password.
    pub password_command: Option<String>,
    /// The environment variables' prefix: None for `PGKEEP_`; `pgkeep
    /// copy` reads its source's secret from `PGKEEP_FROM_…`.
    pub env_prefix: Option<&'static str>,
}

impl PasswordSource {
    /// The secret from the sources set here only, not the environment
    /// (a new password must not silently be the current one).
    pub fn explicit_secret(&self) -> Result<Option<Secret>> {
        self.read(false)
    }

    /// The secret, or None when no source is set.
    pub fn secret(&self) -> Result<Option<Secret>> {
        self.read(true)
    }

    fn read(&self, use_env: bool) -> Result<Option<Secret>> {
        let prefix = self.env_prefix.unwrap_or("PGKEEP_");
        let env = |k: &str| std::env::var_os(format!("{prefix}{k}")).filter(|v| use_env && !v.is_empty());
        if let Some(p) = self.key_file.clone().or_else(|| env("KEY_FILE").map(PathBuf::from)) {
            return read_raw_key(&p).map(Some);
        }
        if let Some(p) = self.password_file.clone().or_else(|| env("PASSWORD_FILE").map(PathBuf::from)) {
            let text = std::fs::read_to_string(&p).map_err(|e| secret_err(format!("password file {}", p.display()), e.to_string()))?;
            return first_line(text, &format!("password file {}", p.display())).map(Some);
        }
        let command = self.password_command.clone().or_else(|| env("PASSWORD_COMMAND").map(|c| c.to_string_lossy().into_owned()));
        if let Some(cmd) = command {
            return run_command(&cmd).map(Some);
        }
        match env("PASSWORD").map(|p| p.into_string()) {
            Some(Ok(p)) => Ok(Some(Secret::password(p))),
            Some(Err(_)) => Err(secret_err(format!("{prefix}PASSWORD"), "it is not UTF-8".into())),
            None => Ok(None),
        }
    }
}

fn secret_err(source: String, problem: String) -> RepoError {
    RepoError::SecretSource { source_name: source, problem }
}

fn first_line(mut text: String, what: &str) -> Result<Secret> {
    let line = text.lines().next().unwrap_or("").to_string();
    text.zeroize();
    if line.is_empty() {
        return Err(secret_err(what.into(), "its first line is empty".into()));
    }
    Ok(Secret::password(line))
}

fn run_command(cmd: &str) -> Result<Secret> {
    let what = "--password-command";
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| secret_err(what.into(), format!("cannot run it: {e}")))?;
    if !out.status.success() {
        return Err(secret_err(what.into(), format!("it exited with {}", out.status)));
    }
    let text = String::from_utf8(out.stdout).map_err(|_| secret_err(what.into(), "its output is not UTF-8".into()))?;
    first_line(text, what)
}

fn read_raw_key(p: &std::path::Path) -> Result<Secret> {
    let what = format!("key file {}", p.display());
    let mut text = std::fs::read_to_string(p).map_err(|e| secret_err(what.clone(), e.to_string()))?;
    let mut key = [0u8; 32];
    let ok = hex::decode_to_slice(text.trim(), &mut key).is_ok();
    text.zeroize();
    if !ok {
        return Err(secret_err(what, "it must hold 64 hex digits (a 256-bit key), e.g. from `openssl rand -hex 32`".into()));
    }
    Ok(Secret::RawKey(RawKey(key)))
}
