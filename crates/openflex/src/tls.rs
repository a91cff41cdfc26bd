//! Built-in TLS (`tls_cert` / `tls_key`), for self-hosters with no TLS-terminating proxy in
//! front. Flexiti's live calls must arrive over HTTPS (docs/flexiti.md §2.1), and every API
//! secret should; behind a proxy openflex speaks plain HTTP and believes the proxy's
//! `X-Forwarded-Proto`, without one it terminates TLS itself, with rustls (already in the build
//! through reqwest, with the same aws-lc-rs crypto).
//!
//! Both settings or neither: one alone, a file with no certificate or no key, or a key that is
//! not the certificate's stops the start with an error naming the setting, so a misconfigured
//! server never comes up speaking plain HTTP instead.

use anyhow::{Context, bail};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{ServerConfig, crypto};

/// The acceptor for the configured files; `None` when neither is set (a blank path is unset,
/// as an empty environment variable gives).
pub fn acceptor(cert: Option<&Path>, key: Option<&Path>) -> anyhow::Result<Option<TlsAcceptor>> {
    fn set(p: Option<&Path>) -> Option<&Path> {
        p.filter(|p| !p.as_os_str().is_empty())
    }
    let (cert, key) = match (set(cert), set(key)) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        (Some(_), None) => {
            bail!("tls_cert is set but tls_key is not: set both (PEM files) to serve HTTPS")
        }
        (None, Some(_)) => {
            bail!("tls_key is set but tls_cert is not: set both (PEM files) to serve HTTPS")
        }
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("tls_cert {}", cert.display()))?;
    if chain.is_empty() {
        bail!(
            "tls_cert {}: no PEM CERTIFICATE in the file",
            cert.display()
        );
    }
    let private_key = PrivateKeyDer::from_pem_file(key).with_context(|| {
        format!(
            "tls_key {}: no PEM private key (PKCS#8, PKCS#1 or SEC1) in the file",
            key.display()
        )
    })?;
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_single_cert(chain, private_key)
            .with_context(|| {
                format!(
                    "tls_key {} does not go with tls_cert {}",
                    key.display(),
                    cert.display()
                )
            })?;
    // The connection builder speaks both; ALPN lets a client pick HTTP/2.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn temp_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("openflex-tls-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn error(cert: Option<&Path>, key: Option<&Path>) -> String {
        format!("{:#}", acceptor(cert, key).err().expect("refused"))
    }

    #[test]
    fn neither_is_plain_http_and_both_serve_tls() {
        assert!(acceptor(None, None).unwrap().is_none());
        assert!(
            acceptor(Some(Path::new("")), None).unwrap().is_none(),
            "blank is unset"
        );
        let dir = temp_dir();
        let issued = rcgen::generate_simple_self_signed(vec!["openflex.test".into()]).unwrap();
        let cert = write(&dir, "cert.pem", &issued.cert.pem());
        let key = write(&dir, "key.pem", &issued.signing_key.serialize_pem());
        assert!(acceptor(Some(&cert), Some(&key)).unwrap().is_some());
    }

    #[test]
    fn one_alone_or_a_bad_file_stops_the_start_naming_the_setting() {
        let dir = temp_dir();
        let issued = rcgen::generate_simple_self_signed(vec!["openflex.test".into()]).unwrap();
        let other = rcgen::generate_simple_self_signed(vec!["other.test".into()]).unwrap();
        let cert = write(&dir, "cert.pem", &issued.cert.pem());
        let key = write(&dir, "key.pem", &issued.signing_key.serialize_pem());
        let other_key = write(&dir, "other.pem", &other.signing_key.serialize_pem());
        let junk = write(&dir, "junk.pem", "not a PEM file\n");
        assert!(error(Some(&cert), None).starts_with("tls_cert is set but tls_key is not"));
        assert!(error(None, Some(&key)).starts_with("tls_key is set but tls_cert is not"));
        assert!(error(Some(&junk), Some(&key)).contains("no PEM CERTIFICATE"));
        assert!(error(Some(&cert), Some(&junk)).contains("no PEM private key"));
        assert!(error(Some(&dir.join("absent.pem")), Some(&key)).starts_with("tls_cert "));
        assert!(error(Some(&cert), Some(&other_key)).contains("does not go with tls_cert"));
    }
}
