//! TLS with rustls for the resolved `sslmode`, `sslrootcert`, client
//! certificate, CRLs, protocol versions and SNI: the certificate verifier
//! for libpq's modes, the files it loads, and the client configuration.
//!
//! Owns turning the resolved TLS settings into a `rustls::ClientConfig`;
//! must not connect or decide the plaintext fallbacks (that is `connect`).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime,
};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::ConnError;
use super::resolved::{CertMode, ResolvedConn, RootCerts, SslMode, TlsSettings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verify {
    /// Accept any certificate (handshake signatures are still checked).
    Nothing,
    /// Chain to a trusted root, any host name.
    Chain,
    /// Chain and host name.
    Full,
}

/// Certificate verifier for the modes rustls' own does not cover.
#[derive(Debug)]
struct PgVerifier {
    verify: Verify,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PgVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = self
            .webpki
            .as_ref()
            .filter(|_| self.verify != Verify::Nothing)
        else {
            return Ok(ServerCertVerified::assertion());
        };
        let result =
            webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match (self.verify, result) {
            // rustls checks the chain (and revocation) before the name, so
            // a name error means the chain was fine.
            (
                Verify::Chain,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )),
            ) => Ok(ServerCertVerified::assertion()),
            (_, r) => r,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn load_root_store(root: &RootCerts) -> Result<RootCertStore, ConnError> {
    let mut store = RootCertStore::empty();
    match root {
        RootCerts::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "none found".into());
                return Err(ConnError::Conflict(format!(
                    "sslrootcert=system: could not load the system's trusted root certificates ({why}); \
                     install ca-certificates or set SSL_CERT_FILE"
                )));
            }
        }
        RootCerts::File { path, .. } => {
            let what = "root certificate file";
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| pem_error(what, path, e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| pem_error(what, path, e))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(ConnError::BadFile {
                    what,
                    path: path.clone(),
                    problem: "contains no usable PEM certificate".into(),
                });
            }
        }
    }
    Ok(store)
}

fn pem_error(what: &'static str, path: &Path, e: rustls::pki_types::pem::Error) -> ConnError {
    match e {
        rustls::pki_types::pem::Error::Io(source) => ConnError::File {
            what,
            path: path.to_path_buf(),
            source,
        },
        other => ConnError::BadFile {
            what,
            path: path.to_path_buf(),
            problem: format!("is not valid PEM: {other:?}"),
        },
    }
}

fn load_crls(tls: &TlsSettings) -> Result<Vec<CertificateRevocationListDer<'static>>, ConnError> {
    let what = "certificate revocation list";
    let mut files = Vec::new();
    if let Some(f) = &tls.crl {
        files.push(f.clone());
    }
    if let Some(dir) = &tls.crldir {
        let entries = fs::read_dir(dir).map_err(|source| ConnError::File {
            what: "certificate revocation list directory",
            path: dir.clone(),
            source,
        })?;
        for e in entries.flatten() {
            if e.path().is_file() {
                files.push(e.path());
            }
        }
    }
    let mut crls = Vec::new();
    for f in files {
        for crl in
            CertificateRevocationListDer::pem_file_iter(&f).map_err(|e| pem_error(what, &f, e))?
        {
            crls.push(crl.map_err(|e| pem_error(what, &f, e))?);
        }
    }
    Ok(crls)
}

/// The client certificate and key, if configured and present.
fn load_client_cert(
    tls: &TlsSettings,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, ConnError> {
    if tls.certmode == CertMode::Disable {
        return Ok(None);
    }
    let cert_path = match &tls.cert {
        Some(p) if p.exists() => p,
        _ => {
            if tls.certmode == CertMode::Require {
                return Err(ConnError::Conflict(
                    "sslcertmode=require, but no client certificate file was found (set sslcert and sslkey)"
                        .into(),
                ));
            }
            return Ok(None);
        }
    };
    let what = "certificate file";
    let chain = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| pem_error(what, cert_path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(what, cert_path, e))?;
    if chain.is_empty() {
        return Err(ConnError::BadFile {
            what,
            path: cert_path.clone(),
            problem: "contains no PEM certificate".into(),
        });
    }
    let key_path = tls.key.clone().ok_or_else(|| {
        ConnError::Conflict("a client certificate is configured but no sslkey".into())
    })?;
    let what = "private key file";
    let meta = fs::metadata(&key_path).map_err(|source| ConnError::File {
        what,
        path: key_path.clone(),
        source,
    })?;
    if !meta.is_file() {
        return Err(ConnError::BadFile {
            what,
            path: key_path,
            problem: "is not a regular file".into(),
        });
    }
    let mode = meta.permissions().mode();
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let too_open =
        (meta.uid() == me && mode & 0o077 != 0) || (meta.uid() == 0 && mode & 0o037 != 0);
    if too_open {
        return Err(ConnError::BadFile {
            what,
            path: key_path,
            problem: "has group or world access; file must have permissions u=rw (0600) or less \
                      if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root"
                .into(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| pem_error(what, &key_path, e))?;
    Ok(Some((chain, key)))
}

impl ResolvedConn {
    /// How strictly the server certificate is checked, and against what.
    fn verification(&self) -> Result<(Verify, Option<&RootCerts>), ConnError> {
        let root = self.tls.root.as_ref();
        let root_present = match root {
            Some(RootCerts::System) => true,
            Some(RootCerts::File { path, explicit }) => {
                let exists = path.exists();
                if !exists
                    && (*explicit
                        || matches!(self.sslmode, SslMode::VerifyCa | SslMode::VerifyFull))
                {
                    return Err(ConnError::BadFile {
                        what: "root certificate file",
                        path: path.clone(),
                        problem: "does not exist; either provide the file, use the system's trusted roots with \
                                  sslrootcert=system (with sslmode=verify-full), or change sslmode to disable \
                                  server certificate verification"
                            .into(),
                    });
                }
                exists
            }
            None => false,
        };
        Ok(match self.sslmode {
            SslMode::VerifyFull => (Verify::Full, root),
            SslMode::VerifyCa => (Verify::Chain, root),
            _ if root_present => (Verify::Chain, root),
            _ => (Verify::Nothing, None),
        })
    }

    /// The rustls client configuration for this connection's TLS settings
    /// (root certificates, verification level, client certificate, CRLs,
    /// protocol versions, SNI, ALPN).
    pub fn rustls_config(&self) -> Result<rustls::ClientConfig, ConnError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (verify, root) = self.verification()?;
        let webpki = match (verify, root) {
            (Verify::Nothing, _) | (_, None) => None,
            (_, Some(root)) => {
                let store = load_root_store(root)?;
                let crls = load_crls(&self.tls)?;
                let verifier =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                        .with_crls(crls)
                        .build()
                        .map_err(|e| {
                            ConnError::Conflict(format!(
                                "could not set up certificate verification: {e}"
                            ))
                        })?;
                Some(verifier)
            }
        };
        let versions: &[&'static rustls::SupportedProtocolVersion] = if self.tls.min_tls13 {
            &[&rustls::version::TLS13]
        } else if self.tls.max_tls12 {
            &[&rustls::version::TLS12]
        } else {
            rustls::DEFAULT_VERSIONS
        };
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| ConnError::Conflict(format!("unusable TLS protocol versions: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PgVerifier {
                verify,
                webpki,
                provider,
            }));
        let mut config = match load_client_cert(&self.tls)? {
            Some((chain, key)) => {
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| ConnError::BadFile {
                        what: "certificate file",
                        path: self.tls.cert.clone().unwrap_or_default(),
                        problem: format!("does not match its private key or is unusable: {e}"),
                    })?
            }
            None => builder.with_no_client_auth(),
        };
        config.enable_sni = self.tls.sni;
        // What libpq 17 sends; required by servers for direct negotiation.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(config)
    }

    /// A TLS connector for [`ResolvedConn::to_tokio_config`].
    pub fn make_tls(&self) -> Result<MakeRustlsConnect, ConnError> {
        Ok(MakeRustlsConnect::new(self.rustls_config()?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::spec::ConnSpec;
    use super::super::test_support::no_env;

    #[test]
    fn verify_modes_need_a_root() {
        let r = ConnSpec::parse("host=h sslmode=verify-full")
            .unwrap()
            .resolve(&no_env())
            .unwrap();
        let e = r.rustls_config().unwrap_err();
        assert!(
            e.to_string().contains("root.crt") && e.to_string().contains("does not exist"),
            "{e}"
        );
        let r = ConnSpec::parse("host=h sslmode=require")
            .unwrap()
            .resolve(&no_env())
            .unwrap();
        assert!(r.rustls_config().is_ok());
        let r = ConnSpec::parse("host=h sslmode=require sslrootcert=/nonexistent/ca.pem")
            .unwrap()
            .resolve(&no_env())
            .unwrap();
        let e = r.rustls_config().unwrap_err();
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    }

}
