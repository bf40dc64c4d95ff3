//! Part of the one HTTP policy ([`crate::http`]): TLS for every client.
//!
//! rustls (ring), TLS 1.2 and 1.3, ALPN `h2` then `http/1.1` — what reqwest
//! builds itself — with the platform's certificate verification
//! ([`rustls_platform_verifier`]: the system's CA roots, as git and curl
//! use them). One difference: the roots are loaded on the **first TLS
//! handshake**, not when the client is built. On Linux loading them reads
//! the CA bundle and every file of `/etc/ssl/certs` (some 150 files, a few
//! milliseconds); a command that sends nothing (`--dry-run`, a disabled
//! provider) or only over `http://` (a proxy, a loopback fake) no longer
//! pays for it, and a machine without CA roots fails on the first `https`
//! request, naming the problem, rather than before any request.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// The TLS configuration every HTTP client of obsctl uses, and its
/// verifier (to tell whether the roots were loaded).
pub fn client_config() -> anyhow::Result<(rustls::ClientConfig, Arc<LazyPlatformVerifier>)> {
    client_config_with_roots(Vec::new())
}

/// [`client_config`], also trusting `extra_roots` (tests: a local CA).
pub(crate) fn client_config_with_roots(
    extra_roots: Vec<CertificateDer<'static>>,
) -> anyhow::Result<(rustls::ClientConfig, Arc<LazyPlatformVerifier>)> {
    crate::install_crypto_provider();
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let verifier = Arc::new(LazyPlatformVerifier {
        provider: provider.clone(),
        extra_roots,
        inner: OnceLock::new(),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow::anyhow!("configuring TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((config, verifier))
}

/// [`rustls_platform_verifier::Verifier`], built on first use. Signatures
/// are checked with the crypto provider's algorithms, exactly as that
/// verifier does (they need no roots); only the certificate chain needs
/// the roots, so only [`ServerCertVerifier::verify_server_cert`] loads them
/// (once per process; a failure to load is that handshake's error, and
/// every later one's).
#[derive(Debug)]
pub struct LazyPlatformVerifier {
    provider: Arc<CryptoProvider>,
    extra_roots: Vec<CertificateDer<'static>>,
    inner: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyPlatformVerifier {
    /// Whether the roots were loaded (a certificate was verified).
    pub fn loaded(&self) -> bool {
        self.inner.get().is_some()
    }

    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.inner
            .get_or_init(|| {
                if self.extra_roots.is_empty() {
                    rustls_platform_verifier::Verifier::new(self.provider.clone())
                } else {
                    rustls_platform_verifier::Verifier::new_with_extra_roots(
                        self.extra_roots.clone(),
                        self.provider.clone(),
                    )
                }
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyPlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
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

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;

    use super::*;

    const CA: &str = include_str!("../../tests/data/tls/ca.pem");
    const LEAF: &str = include_str!("../../tests/data/tls/leaf.pem");
    const LEAF_KEY: &str = include_str!("../../tests/data/tls/leaf.key");

    /// A TLS server on loopback presenting the test CA's `localhost`
    /// certificate; answers one HTTP/1.1 request per connection with
    /// `200 ok` (a failed handshake just ends the connection).
    fn server(connections: usize) -> u16 {
        crate::install_crypto_provider();
        let certs = vec![CertificateDer::from_pem_slice(LEAF.as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(LEAF_KEY.as_bytes()).unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(connections) {
                let mut tcp = stream.unwrap();
                let mut conn = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
                let mut buf = [0u8; 4096];
                if matches!(tls.read(&mut buf), Ok(n) if n > 0) {
                    let _ = tls.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    );
                    let _ = tls.flush();
                }
            }
        });
        port
    }

    fn client(roots: Vec<CertificateDer<'static>>) -> (reqwest::Client, Arc<LazyPlatformVerifier>) {
        let (config, verifier) = client_config_with_roots(roots).unwrap();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .build()
            .unwrap();
        (client, verifier)
    }

    #[tokio::test]
    async fn building_a_client_loads_no_roots_and_plain_http_never_does() {
        let (client, verifier) = client(Vec::new());
        assert!(!verifier.loaded(), "roots loaded when the client was built");
        // A plain-HTTP request (nothing listens: the connection fails)
        // does not load them either.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let _ = client.get(format!("http://127.0.0.1:{port}/")).send().await;
        assert!(!verifier.loaded());
    }

    #[tokio::test]
    async fn an_untrusted_certificate_is_refused() {
        // The test CA is not among the system's roots: the chain must be
        // refused (the lazy verifier is a verifier, not a pass).
        let port = server(1);
        let (client, verifier) = client(Vec::new());
        let err = client
            .get(format!("https://localhost:{port}/"))
            .send()
            .await
            .expect_err("a certificate from an unknown CA was accepted");
        let chain = format!("{:?}", anyhow::Error::from(err));
        assert!(
            chain.contains("UnknownIssuer") || chain.contains("No CA certificates"),
            "{chain}"
        );
        assert!(verifier.loaded());
    }

    #[tokio::test]
    async fn a_trusted_certificate_is_accepted_once_loaded() {
        let port = server(2);
        let ca = CertificateDer::from_pem_slice(CA.as_bytes()).unwrap();
        let (client, verifier) = client(vec![ca]);
        for host in ["localhost", "127.0.0.1"] {
            let resp = client
                .get(format!("https://{host}:{port}/"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{host}: {:?}", anyhow::Error::from(e)));
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.text().await.unwrap(), "ok");
        }
        assert!(verifier.loaded());
    }

    #[tokio::test]
    async fn a_name_the_certificate_does_not_carry_is_refused() {
        // The certificate names localhost and 127.0.0.1, not this name.
        let port = server(1);
        let ca = CertificateDer::from_pem_slice(CA.as_bytes()).unwrap();
        let (config, _) = client_config_with_roots(vec![ca]).unwrap();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .resolve("api.example.test", ([127, 0, 0, 1], port).into())
            .build()
            .unwrap();
        let err = client
            .get(format!("https://api.example.test:{port}/"))
            .send()
            .await
            .expect_err("a certificate for another name was accepted");
        let chain = format!("{:?}", anyhow::Error::from(err));
        assert!(chain.contains("not valid for name"), "{chain}");
    }
}
