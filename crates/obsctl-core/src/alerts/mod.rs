//! Sentry monitors ("detectors") and alerts ("workflows") as code: the
//! `[[alert]]` entries of `obsctl.toml` checked ([`lint`]), compiled to the
//! request bodies Sentry takes ([`compile`]), compared with what Sentry
//! holds after normalising both sides the way Sentry does ([`normalize`]),
//! and turned into a plan of writes ([`plan`]); plus the reverse ([`import`])
//! and a starting point for a service ([`import::init_toml`]).
//!
//! Ownership: obsctl manages a monitor only when BOTH its name starts with
//! [`NAME_PREFIX`] and its description carries [`marker`]`(key)`; an alert
//! (workflow has no description) only when its name starts with the prefix
//! and ends with the marker. Anything else is never updated or deleted.

pub mod compile;
pub mod import;
pub mod kinds;
pub mod lint;
pub mod normalize;
pub mod plan;

pub use kinds::{Kind, Severity};

/// Every managed monitor's and alert's name starts with this.
pub const NAME_PREFIX: &str = "[obsctl] ";

/// The text before the key in a managed object's marker.
pub const MARKER_PREFIX: &str = "obsctl:key=";

/// The managed marker of `key`: `obsctl:key=<key>`.
pub fn marker(key: &str) -> String {
    format!("{MARKER_PREFIX}{key}")
}

/// The key in the marker found in `text` (`obsctl:key=<key>` up to white
/// space or the end), if any.
pub fn marker_key(text: &str) -> Option<&str> {
    let start = text.find(MARKER_PREFIX)? + MARKER_PREFIX.len();
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ')' || c == ']')
        .unwrap_or(rest.len());
    let key = &rest[..end];
    (!key.is_empty()).then_some(key)
}

/// The key of a managed monitor: its name has the prefix AND its
/// description carries the marker. A copy made in Sentry's UI keeps the
/// description but gets a new name: not managed.
pub fn managed_detector_key<'a>(name: &str, description: Option<&'a str>) -> Option<&'a str> {
    if !name.starts_with(NAME_PREFIX) {
        return None;
    }
    marker_key(description?)
}

/// The key of a managed alert (workflow): the name has the prefix and ends
/// with the marker (` · obsctl:key=<key>`), since workflows have no description.
pub fn managed_workflow_key(name: &str) -> Option<&str> {
    if !name.starts_with(NAME_PREFIX) {
        return None;
    }
    let start = name.rfind(MARKER_PREFIX)?;
    let key = &name[start + MARKER_PREFIX.len()..];
    (!key.is_empty() && !key.contains(char::is_whitespace)).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert_eq!(marker("web-p95"), "obsctl:key=web-p95");
        assert_eq!(marker_key("Managed.\nobsctl:key=web-p95"), Some("web-p95"));
        assert_eq!(marker_key("obsctl:key= x"), None);
        assert_eq!(
            managed_detector_key("[obsctl] web: p95", Some("obsctl:key=web-p95")),
            Some("web-p95")
        );
        // A UI copy: marker kept, name changed.
        assert_eq!(
            managed_detector_key("Copy of web: p95", Some("obsctl:key=web-p95")),
            None
        );
        assert_eq!(managed_detector_key("[obsctl] web: p95", None), None);
        assert_eq!(
            managed_workflow_key("[obsctl] web: p95 · obsctl:key=web-p95"),
            Some("web-p95")
        );
        assert_eq!(managed_workflow_key("web: p95 · obsctl:key=web-p95"), None);
        assert_eq!(
            managed_workflow_key("[obsctl] web: p95 · obsctl:key=web-p95 (copy)"),
            None
        );
    }
}
