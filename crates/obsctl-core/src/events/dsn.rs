//! Sentry DSNs: `{PROTOCOL}://{PUBLIC_KEY}[:{SECRET_KEY}]@{HOST}{PATH}/{PROJECT_ID}`
//! (contract `sentry/dsn.json`).
//!
//! The public key authorises event ingestion for one project: obsctl treats
//! it as a **secret** (never printed; the caller registers
//! [`Dsn::public_key`] with its redactor and masks it in Actions). Nothing in
//! this module's `Display` or error texts contains a key.
//!
//! From a sentry.io DSN alone (`o123.ingest.us.sentry.io`) obsctl knows the
//! organization id, the project id and the region ([`SaasHost`]).

use std::fmt;

/// A parsed DSN. Construct with [`Dsn::parse`].
#[derive(Clone, PartialEq, Eq)]
pub struct Dsn {
    scheme: String,
    public_key: String,
    secret_key: Option<String>,
    /// `host[:port]` as written.
    host: String,
    /// Path prefix before the project id, without a trailing slash (`""` or `/sentry`).
    path: String,
    project_id: String,
}

/// What a sentry.io ingest host says: `o{org_id}.ingest[.{region}].sentry.io`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaasHost {
    /// The numeric organization id.
    pub org_id: u64,
    /// The region (`us`, `de`, …); `None` for the legacy `o1.ingest.sentry.io`
    /// form, which is the US region.
    pub region: Option<String>,
}

impl SaasHost {
    /// The region, with the legacy host counted as `us`.
    pub fn region_or_us(&self) -> &str {
        self.region.as_deref().unwrap_or("us")
    }

    /// The management API base URL for this region: `https://{region}.sentry.io`
    /// (`https://us.sentry.io` for the legacy host).
    pub fn api_url(&self) -> String {
        format!("https://{}.sentry.io", self.region_or_us())
    }
}

/// Why a DSN was rejected. The texts never contain the key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    /// Not `http(s)://KEY@HOST/PROJECT_ID`.
    #[error(
        "the DSN is not of the form https://PUBLIC_KEY@HOST/PROJECT_ID ({0}); copy it from Sentry: Project Settings → Client Keys (DSN)"
    )]
    Malformed(&'static str),
}

impl Dsn {
    /// Parse and validate a DSN. Accepts an optional (deprecated) secret key
    /// and a path prefix (self-hosted under a sub-path); the project id is a
    /// non-empty string of digits (Sentry's are numeric).
    ///
    /// Errors: [`DsnError::Malformed`] naming what is missing.
    pub fn parse(input: &str) -> Result<Dsn, DsnError> {
        let s = input.trim();
        let (scheme, rest) = s
            .split_once("://")
            .ok_or(DsnError::Malformed("no http:// or https:// scheme"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(DsnError::Malformed("the scheme must be http or https"));
        }
        let (userinfo, rest) = rest
            .split_once('@')
            .ok_or(DsnError::Malformed("no PUBLIC_KEY@ before the host"))?;
        if rest.contains('@') {
            return Err(DsnError::Malformed("more than one @"));
        }
        let (public_key, secret_key) = match userinfo.split_once(':') {
            Some((k, s)) => (k, Some(s)),
            None => (userinfo, None),
        };
        let key_ok = |k: &str| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !key_ok(public_key) {
            return Err(DsnError::Malformed(
                "the public key is empty or has characters other than letters and digits",
            ));
        }
        if secret_key.is_some_and(|k| !k.is_empty() && !key_ok(k)) {
            return Err(DsnError::Malformed("the secret key has invalid characters"));
        }
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let rest = rest.trim_end_matches('/');
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => return Err(DsnError::Malformed("no /PROJECT_ID after the host")),
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        {
            return Err(DsnError::Malformed("the host is empty or invalid"));
        }
        if let Some((_, port)) = host.rsplit_once(':').filter(|_| !host.ends_with(']')) {
            if port.parse::<u16>().is_err() {
                return Err(DsnError::Malformed("the port is not a number"));
            }
        }
        let (prefix, project_id) = path.rsplit_once('/').unwrap_or(("", path));
        if project_id.is_empty() || !project_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(DsnError::Malformed(
                "the project id (the last path segment) is not a number",
            ));
        }
        Ok(Dsn {
            scheme,
            public_key: public_key.to_string(),
            secret_key: secret_key.filter(|k| !k.is_empty()).map(String::from),
            host: host.to_ascii_lowercase(),
            path: prefix.to_string(),
            project_id: project_id.to_string(),
        })
    }

    /// The public key (a secret for obsctl's output rules).
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The deprecated secret key, when the DSN has one (a secret too).
    pub fn secret_key(&self) -> Option<&str> {
        self.secret_key.as_deref()
    }

    /// The project id (digits, as a string: Sentry's ids exceed 2^53 in JSON consumers).
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// `host[:port]`, lower-case.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The host without a port.
    pub fn hostname(&self) -> &str {
        match self.host.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.is_empty() => h,
            _ => &self.host,
        }
    }

    /// `{PROTOCOL}://{HOST}{PATH}`.
    pub fn base_uri(&self) -> String {
        format!("{}://{}{}", self.scheme, self.host, self.path)
    }

    /// `{BASE_URI}/api/{PROJECT_ID}/envelope/`: carries no key.
    pub fn envelope_url(&self) -> String {
        format!("{}/api/{}/envelope/", self.base_uri(), self.project_id)
    }

    /// The `X-Sentry-Auth` header value (contains the key: send it, never print it).
    pub fn auth_header(&self, client: &str) -> String {
        let mut v = format!(
            "Sentry sentry_version=7, sentry_client={client}, sentry_key={}",
            self.public_key
        );
        if let Some(secret) = &self.secret_key {
            v.push_str(&format!(", sentry_secret={secret}"));
        }
        v
    }

    /// The sentry.io facts of the host, or `None` for a self-hosted Sentry.
    pub fn saas(&self) -> Option<SaasHost> {
        let host = self.hostname();
        let rest = host.strip_suffix(".sentry.io")?;
        let mut parts = rest.split('.');
        let org = parts.next()?.strip_prefix('o')?;
        let org_id = org.parse().ok()?;
        if parts.next()? != "ingest" {
            return None;
        }
        let region = parts.next().map(String::from);
        if parts.next().is_some() {
            return None;
        }
        Some(SaasHost { org_id, region })
    }

    /// The DSN with its key(s) replaced by `<key>`: safe to print.
    pub fn redacted(&self) -> String {
        format!(
            "{}://<key>@{}{}/{}",
            self.scheme, self.host, self.path, self.project_id
        )
    }
}

impl fmt::Display for Dsn {
    /// The redacted form ([`Dsn::redacted`]): a DSN never prints its key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dsn({})", self.redacted())
    }
}

/// What the management API URL (`SENTRY_URL`) says about where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiHost {
    /// `sentry.io` (any region: the org's requests are routed).
    SaasGlobal,
    /// `{region}.sentry.io`.
    SaasRegion(String),
    /// Anything else: a self-hosted Sentry.
    SelfHosted,
}

impl ApiHost {
    /// Classify the host name of the management API URL.
    pub fn of(hostname: &str) -> ApiHost {
        let h = hostname.to_ascii_lowercase();
        if h == "sentry.io" || h == "www.sentry.io" {
            ApiHost::SaasGlobal
        } else if let Some(r) = h.strip_suffix(".sentry.io").filter(|r| !r.contains('.')) {
            // `acme.sentry.io` (an org subdomain) is routed like sentry.io;
            // only the known region names are regions.
            if matches!(r, "us" | "de") {
                ApiHost::SaasRegion(r.to_string())
            } else {
                ApiHost::SaasGlobal
            }
        } else {
            ApiHost::SelfHosted
        }
    }
}

/// Check that the DSN (where the event goes) and the management API (where
/// obsctl looks for it) are the same Sentry. Returns the API base URL to
/// use: the DSN's region host when the API URL was not set explicitly and
/// the DSN is sentry.io's, else `api_url` itself.
///
/// Errors: a text naming both sides and the fix, when an event sent with
/// this DSN could never be found through that API (another region, sentry.io
/// versus self-hosted).
pub fn check_region(
    dsn: &Dsn,
    api_url: &str,
    api_hostname: &str,
    explicit: bool,
) -> Result<String, String> {
    let api = ApiHost::of(api_hostname);
    match (dsn.saas(), api) {
        (Some(saas), ApiHost::SaasGlobal) if !explicit => Ok(saas.api_url()),
        (Some(_), ApiHost::SaasGlobal) => Ok(api_url.to_string()),
        (Some(saas), ApiHost::SaasRegion(r)) if r == saas.region_or_us() => Ok(api_url.to_string()),
        (Some(saas), ApiHost::SaasRegion(r)) => Err(format!(
            "the DSN is for Sentry's {} region ({}) but SENTRY_URL is {api_url} (the {r} region): \
             the event would be sent to one region and looked for in the other; set SENTRY_URL={} \
             or use a DSN of a project in the {r} region",
            saas.region_or_us(),
            dsn.host(),
            saas.api_url()
        )),
        (Some(_), ApiHost::SelfHosted) => Err(format!(
            "the DSN is for sentry.io ({}) but SENTRY_URL is {api_url}, a self-hosted Sentry: \
             unset SENTRY_URL (or set it to the DSN's region), or use the self-hosted project's DSN",
            dsn.host()
        )),
        (None, ApiHost::SelfHosted) => Ok(api_url.to_string()),
        (None, _) => Err(format!(
            "the DSN is for a self-hosted Sentry ({}) but SENTRY_URL is {api_url} (sentry.io): \
             set SENTRY_URL to the self-hosted Sentry's URL",
            dsn.host()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "e12d836b15bb49d7bbf99e64295d995b";

    #[test]
    fn contract_examples_parse() {
        let d = Dsn::parse(&format!("https://{KEY}@o0.ingest.sentry.io/42")).unwrap();
        assert_eq!(d.public_key(), KEY);
        assert_eq!(d.project_id(), "42");
        assert_eq!(
            d.envelope_url(),
            "https://o0.ingest.sentry.io/api/42/envelope/"
        );
        assert_eq!(
            d.saas(),
            Some(SaasHost {
                org_id: 0,
                region: None
            })
        );
        let d = Dsn::parse("https://public:secret@sentry.example.com/sentry/1").unwrap();
        assert_eq!(d.secret_key(), Some("secret"));
        assert_eq!(
            d.envelope_url(),
            "https://sentry.example.com/sentry/api/1/envelope/"
        );
        assert_eq!(d.saas(), None);
        let d = Dsn::parse("http://public@localhost:9000/2").unwrap();
        assert_eq!(d.envelope_url(), "http://localhost:9000/api/2/envelope/");
        assert_eq!(d.hostname(), "localhost");
    }

    #[test]
    fn saas_region_and_org() {
        let d = Dsn::parse(&format!("https://{KEY}@o123.ingest.us.sentry.io/4505")).unwrap();
        let s = d.saas().unwrap();
        assert_eq!((s.org_id, s.region.as_deref()), (123, Some("us")));
        assert_eq!(s.api_url(), "https://us.sentry.io");
        let d = Dsn::parse(&format!("https://{KEY}@o9.ingest.de.sentry.io/1/")).unwrap();
        assert_eq!(d.saas().unwrap().api_url(), "https://de.sentry.io");
        assert_eq!(d.project_id(), "1");
    }

    #[test]
    fn errors_never_show_the_key() {
        for bad in [
            format!("{KEY}@o1.ingest.sentry.io/1"),
            format!("ftp://{KEY}@host/1"),
            format!("https://{KEY}@host"),
            format!("https://{KEY}@host/project"),
            format!("https://{KEY}@/1"),
            "https://o1.ingest.sentry.io/1".to_string(),
            format!("https://{KEY}@host:abc/1"),
        ] {
            let e = Dsn::parse(&bad).unwrap_err().to_string();
            assert!(!e.contains(KEY), "{e}");
        }
        let d = Dsn::parse(&format!("https://{KEY}:{KEY}@h.example/5")).unwrap();
        assert!(!format!("{d} {d:?}").contains(KEY));
        assert!(
            d.auth_header("obsctl/0.1.0")
                .contains(&format!("sentry_key={KEY}"))
        );
        assert!(d.auth_header("obsctl/0.1.0").contains("sentry_secret="));
    }

    #[test]
    fn region_checks() {
        let de = Dsn::parse(&format!("https://{KEY}@o1.ingest.de.sentry.io/2")).unwrap();
        assert_eq!(
            check_region(&de, "https://sentry.io/", "sentry.io", false).unwrap(),
            "https://de.sentry.io"
        );
        assert_eq!(
            check_region(&de, "https://sentry.io/", "sentry.io", true).unwrap(),
            "https://sentry.io/"
        );
        assert!(check_region(&de, "https://de.sentry.io/", "de.sentry.io", true).is_ok());
        let e = check_region(&de, "https://us.sentry.io/", "us.sentry.io", true).unwrap_err();
        assert!(e.contains("de region") && e.contains("us region"), "{e}");
        assert!(check_region(&de, "http://127.0.0.1:9/", "127.0.0.1", true).is_err());
        let legacy = Dsn::parse(&format!("https://{KEY}@o1.ingest.sentry.io/2")).unwrap();
        assert!(check_region(&legacy, "https://us.sentry.io/", "us.sentry.io", true).is_ok());
        let own = Dsn::parse(&format!("http://{KEY}@127.0.0.1:9000/2")).unwrap();
        assert!(check_region(&own, "http://127.0.0.1:9000/", "127.0.0.1", true).is_ok());
        assert!(check_region(&own, "https://sentry.io/", "sentry.io", false).is_err());
        assert_eq!(ApiHost::of("acme.sentry.io"), ApiHost::SaasGlobal);
    }
}
