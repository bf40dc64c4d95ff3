//! The test event and its envelope, built with the `sentry` crate's protocol
//! types (no SDK client, no transport: obsctl sends the bytes itself).
//!
//! The event: level `error` (the protocol default, so the crate omits it
//! on the wire), message `obsctl test event <event id>`, tags
//! `obsctl.test=true` and `obsctl.run=<run id>`, fingerprint
//! `["obsctl-test", "<run id>"]` (all events of one run group into one issue,
//! easy to mute), logger `obsctl`, release and environment when known.
//! The envelope: header `event_id`, `sent_at`, `sdk` (no `dsn`: the key
//! travels only in the `X-Sentry-Auth` header, never in a body), then one
//! `event` item with its `length` in bytes.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use sentry::Envelope;
use sentry::protocol::{ClientSdkInfo, EnvelopeHeaders, Event, Level};
use sentry::types::Uuid;

/// What one test event says. Times are passed in: the core reads no clock.
#[derive(Clone, Debug, PartialEq)]
pub struct TestEvent {
    /// 16 random bytes from the caller; made into a UUID v4 (the event id).
    pub random: [u8; 16],
    /// The run id (the CI run, or random): the fingerprint's second part.
    pub run_id: String,
    /// The event's timestamp (when it was built).
    pub timestamp: DateTime<Utc>,
    /// `release`, when known (must equal the Sentry release version).
    pub release: Option<String>,
    /// `environment`, when known.
    pub environment: Option<String>,
    /// The obsctl.toml service, as tag `obsctl.service`, when known.
    pub service: Option<String>,
    /// Extra tags (`obsctl.alert=<key>` for `alerts test`).
    pub tags: Vec<(String, String)>,
}

/// The SDK name in the envelope header and event: `obsctl`.
pub const SDK_NAME: &str = "obsctl";

impl TestEvent {
    /// The event id: the UUID v4 of [`TestEvent::random`], as 32 lowercase hex characters.
    pub fn event_id(&self) -> String {
        self.uuid().simple().to_string()
    }

    fn uuid(&self) -> Uuid {
        uuid_v4(self.random)
    }

    /// The `sentry::protocol::Event` for this test event.
    pub fn to_event(&self, sdk_version: &str) -> Event<'static> {
        let id = self.event_id();
        let mut tags = std::collections::BTreeMap::new();
        let mut tag = |k: &str, v: &str| {
            let (k, v) = crate::limits::sentry::tag(k, v);
            tags.insert(k, v);
        };
        tag("obsctl.test", "true");
        tag("obsctl.run", &self.run_id);
        if let Some(s) = &self.service {
            tag("obsctl.service", s);
        }
        for (k, v) in &self.tags {
            tag(k, v);
        }
        Event {
            event_id: self.uuid(),
            level: Level::Error,
            message: Some(crate::limits::sentry::event_message(&format!(
                "obsctl test event {id}"
            ))),
            logger: Some("obsctl".into()),
            fingerprint: Cow::Owned(vec![
                Cow::Borrowed("obsctl-test"),
                Cow::Owned(self.run_id.clone()),
            ]),
            platform: Cow::Borrowed("other"),
            timestamp: system_time(self.timestamp),
            release: self.release.clone().map(Cow::Owned),
            environment: self.environment.clone().map(Cow::Owned),
            tags: tags.into_iter().collect(),
            sdk: Some(Cow::Owned(sdk_info(sdk_version))),
            ..Event::default()
        }
    }

    /// The envelope carrying [`TestEvent::to_event`], with `sent_at`.
    pub fn to_envelope(&self, sdk_version: &str, sent_at: DateTime<Utc>) -> Envelope {
        let headers = EnvelopeHeaders::new()
            .with_event_id(self.uuid())
            .with_sdk(sdk_info(sdk_version))
            .with_sent_at(system_time(sent_at));
        let mut envelope = Envelope::new().with_headers(headers);
        envelope.add_item(self.to_event(sdk_version));
        envelope
    }

    /// The envelope's wire bytes (`application/x-sentry-envelope`).
    pub fn envelope_bytes(&self, sdk_version: &str, sent_at: DateTime<Utc>) -> Vec<u8> {
        let mut out = Vec::new();
        self.to_envelope(sdk_version, sent_at)
            .to_writer(&mut out)
            .expect("writing to a Vec cannot fail");
        out
    }
}

fn sdk_info(version: &str) -> ClientSdkInfo {
    ClientSdkInfo {
        name: SDK_NAME.to_string(),
        version: version.to_string(),
        integrations: vec![],
        packages: vec![],
    }
}

fn system_time(t: DateTime<Utc>) -> SystemTime {
    let micros = t.timestamp_micros();
    if micros >= 0 {
        UNIX_EPOCH + Duration::from_micros(micros as u64)
    } else {
        UNIX_EPOCH
    }
}

/// A UUID v4 from 16 random bytes (version and variant bits set).
pub fn uuid_v4(mut random: [u8; 16]) -> Uuid {
    random[6] = (random[6] & 0x0f) | 0x40;
    random[8] = (random[8] & 0x3f) | 0x80;
    Uuid::from_bytes(random)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TestEvent {
        TestEvent {
            random: [7; 16],
            run_id: "run-42".into(),
            timestamp: DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .into(),
            release: Some("web@1.2.3".into()),
            environment: Some("production".into()),
            service: Some("web".into()),
            tags: vec![],
        }
    }

    #[test]
    fn wire_format_has_three_lines_and_the_right_fields() {
        let e = sample();
        let bytes = e.envelope_bytes("0.1.0", e.timestamp);
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let header: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(header["sdk"]["name"], "obsctl");
        assert!(header.get("dsn").is_none());
        let id = e.event_id();
        assert_eq!(id.len(), 32);
        assert_eq!(header["event_id"].as_str().unwrap().replace('-', ""), id);
        let item: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(item["type"], "event");
        assert_eq!(item["length"].as_u64().unwrap() as usize, lines[2].len());
        let ev: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(ev["event_id"], id.as_str());
        // `error` is the protocol's default level: the crate leaves it out and
        // Relay reads a missing level as `error`.
        assert!(ev["level"].is_null() || ev["level"] == "error");
        assert_eq!(ev["message"], format!("obsctl test event {id}"));
        assert_eq!(ev["tags"]["obsctl.test"], "true");
        assert_eq!(
            ev["fingerprint"],
            serde_json::json!(["obsctl-test", "run-42"])
        );
        assert_eq!(ev["release"], "web@1.2.3");
        assert_eq!(ev["environment"], "production");
        assert_eq!(ev["timestamp"].as_f64().unwrap(), 1_767_225_600.0);
        // The uuid is a v4.
        assert_eq!(&id[12..13], "4");
    }
}
