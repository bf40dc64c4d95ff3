//! Sentry releases: create (with commits, finalized in the same call) and
//! finalize an existing one.
//!
//! `POST /organizations/{org}/releases/` is idempotent on Sentry's side: 201
//! when the release was created (or projects were added to it), 208 when it
//! existed already. It replaces the release's commit list with the one sent
//! (Sentry's `set_commits` clears the old list first), so a long range cannot
//! be sent in batches: the newest commits are sent, capped by count and by
//! body size ([`MAX_COMMITS`], [`MAX_BODY_BYTES`]), and the caller reports
//! how many went out. `dateReleased` only applies when the release is
//! created; an existing release that is not finalized yet gets a
//! `PUT .../releases/{version}/` with `dateReleased`.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use super::Sentry;
use crate::git::{ChangeKind, CommitInfo, FileChange};
use crate::http::{self, HttpError};

/// At most this many commits go to Sentry per release (newest first).
pub const MAX_COMMITS: usize = limits::COMMITS;
/// The commits part of the body stays under this many bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// At most this many files per commit (a vendoring commit can touch 50,000).
pub const MAX_FILES_PER_COMMIT: usize = 1000;
/// A commit message is cut at this many characters (a generated commit can
/// carry megabytes, and the first commit is always sent whatever its size).
pub const MAX_MESSAGE_CHARS: usize = limits::COMMIT_MESSAGE;

// Sentry's field limits (create-release.json): `obsctl_core::limits::sentry`.
use obsctl_core::limits::sentry as limits;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PatchEntry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// One element of `commits[]`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SentryCommit {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    pub message: String,
    pub author_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_email: Option<String>,
    pub timestamp: String,
    /// Absent when the files are unknown (edge of a shallow clone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_set: Option<Vec<PatchEntry>>,
}

/// The commits to send, and how many were left out.
#[derive(Clone, Debug, Default)]
pub struct CommitBatch {
    pub commits: Vec<SentryCommit>,
    pub omitted: usize,
}

/// Build `commits[]` from the range (newest first), within Sentry's field
/// limits and the caps above. `repository` is `owner/name`.
pub fn commit_payload(commits: &[CommitInfo], repository: Option<&str>) -> CommitBatch {
    let repository = repository.and_then(limits::commit_repository);
    let mut batch = CommitBatch::default();
    let mut bytes = 0usize;
    for (i, c) in commits.iter().enumerate() {
        if batch.commits.len() >= MAX_COMMITS {
            batch.omitted = commits.len() - i;
            break;
        }
        let patch_set = c.files.as_ref().map(|files| {
            files
                .iter()
                .flat_map(patch_entries)
                .filter(|e| limits::patch_path_fits(&e.path))
                .take(MAX_FILES_PER_COMMIT)
                .collect()
        });
        let sc = SentryCommit {
            id: c.sha.clone(),
            repository: repository.clone(),
            message: limits::commit_message(&c.message()),
            author_name: limits::commit_author_name(&c.author.name),
            author_email: limits::commit_author_email(&c.author.email),
            timestamp: c.author.time.to_rfc3339_opts(SecondsFormat::Secs, false),
            patch_set,
        };
        let size = serde_json::to_vec(&sc).map(|v| v.len()).unwrap_or(0);
        if bytes + size > MAX_BODY_BYTES && !batch.commits.is_empty() {
            batch.omitted = commits.len() - i;
            break;
        }
        bytes += size;
        batch.commits.push(sc);
    }
    batch
}

/// Sentry knows `A`, `M` and `D`: a rename is `D` of the old path and `A`
/// of the new one.
pub fn patch_entries(f: &FileChange) -> Vec<PatchEntry> {
    let entry = |path: &str, kind| PatchEntry {
        path: path.to_string(),
        kind,
    };
    match (f.kind, &f.from) {
        (ChangeKind::Added, _) => vec![entry(&f.path, "A")],
        (ChangeKind::Modified, _) => vec![entry(&f.path, "M")],
        (ChangeKind::Deleted, _) => vec![entry(&f.path, "D")],
        (ChangeKind::Renamed, Some(from)) => vec![entry(from, "D"), entry(&f.path, "A")],
        (ChangeKind::Renamed, None) => vec![entry(&f.path, "A")],
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SentryStatus {
    Created,
    Existed,
}

#[derive(Clone, Debug)]
pub struct SentryRelease {
    pub status: SentryStatus,
    /// Whether a separate finalize call was needed (an existing release).
    pub finalized_now: bool,
    /// The release page in Sentry's web UI.
    pub url: String,
}

impl Sentry {
    /// `{SENTRY_URL}/organizations/{org}/releases/{version}/`.
    pub fn release_page(&self, version: &str) -> String {
        http::join(
            &self.config().url,
            &format!(
                "organizations/{}/releases/{}/",
                http::segment(&self.config().org),
                http::segment(version)
            ),
        )
        .to_string()
    }

    /// Create the release with its commits; finalize it unless
    /// `released_at` is `None`.
    pub async fn create_release(
        &self,
        version: &str,
        commits: &[SentryCommit],
        released_at: Option<DateTime<Utc>>,
    ) -> Result<SentryRelease, HttpError> {
        let date = released_at.map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true));
        let mut body = json!({
            "version": version,
            "projects": self.config().projects,
        });
        if !commits.is_empty() {
            body["commits"] = serde_json::to_value(commits).expect("commits serialize");
        }
        if let Some(d) = &date {
            body["dateReleased"] = json!(d);
        }
        let req = self
            .request(Method::POST, "create release", self.org_url("releases/"))
            // Sentry deduplicates releases by version: safe to repeat.
            .idempotent()
            .json(&body)
            .dry_run_reply(json!({ "version": version, "dateReleased": date }));
        let resp = self.send_ok(req).await.map_err(conflict_hint)?;
        let status = if resp.status.as_u16() == 208 {
            SentryStatus::Existed
        } else {
            SentryStatus::Created
        };
        let release: Value = resp.json()?;
        if !release.is_object() {
            return Err(HttpError::Malformed {
                provider: resp.provider,
                op: resp.op.clone(),
                detail: format!("expected the release object, got {}", short(&release)),
            });
        }
        let mut finalized_now = false;
        if let Some(d) = &date {
            // `dateReleased` is only used when the release is new.
            let released = release.get("dateReleased").is_some_and(|v| !v.is_null());
            if !released {
                let req = self
                    .request(
                        Method::PUT,
                        "finalize release",
                        self.release_url(version, ""),
                    )
                    .json(&json!({ "dateReleased": d }))
                    .dry_run_reply(json!({ "version": version, "dateReleased": d }));
                self.send_ok(req).await?;
                finalized_now = true;
            }
        }
        Ok(SentryRelease {
            status,
            finalized_now,
            url: self.release_page(version),
        })
    }
}

/// 409: commits of an earlier call for this release are still being
/// processed; the create is safe to repeat.
fn conflict_hint(e: HttpError) -> HttpError {
    match e {
        HttpError::Status {
            provider,
            op,
            status: 409,
            message,
            hint: None,
        } => HttpError::Status {
            provider,
            op,
            status: 409,
            message,
            hint: Some(
                "Sentry is still processing commits sent for this release by an earlier call: \
                 re-run in a minute (re-running is safe)"
                    .into(),
            ),
        },
        other => other,
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::Person;

    fn commit(i: usize, files: Option<Vec<FileChange>>) -> CommitInfo {
        let t = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09+02:00").unwrap();
        CommitInfo {
            sha: format!("{i:040x}"),
            parents: vec![],
            subject: format!("change {i}"),
            body: "details".into(),
            author: Person {
                name: "Ann".into(),
                email: "ann@example.com".into(),
                time: t,
            },
            committer_time: t,
            files,
        }
    }

    #[test]
    fn payload_fields() {
        let files = vec![
            FileChange {
                path: "new.rs".into(),
                kind: ChangeKind::Renamed,
                from: Some("old.rs".into()),
            },
            FileChange::new("x.rs", ChangeKind::Modified),
        ];
        let batch = commit_payload(&[commit(1, Some(files)), commit(2, None)], Some("acme/web"));
        assert_eq!(batch.omitted, 0);
        let v = serde_json::to_value(&batch.commits).unwrap();
        assert_eq!(
            v[0],
            json!({
                "id": format!("{:040x}", 1),
                "repository": "acme/web",
                "message": "change 1\n\ndetails",
                "author_name": "Ann",
                "author_email": "ann@example.com",
                "timestamp": "2024-05-06T07:08:09+02:00",
                "patch_set": [
                    {"path": "old.rs", "type": "D"},
                    {"path": "new.rs", "type": "A"},
                    {"path": "x.rs", "type": "M"}
                ]
            })
        );
        // Unknown files: no patch_set at all (not an empty one).
        assert!(v[1].get("patch_set").is_none());
    }

    #[test]
    fn caps() {
        let many: Vec<CommitInfo> = (0..MAX_COMMITS + 5)
            .map(|i| commit(i, Some(vec![])))
            .collect();
        let batch = commit_payload(&many, Some("acme/web"));
        assert_eq!(batch.commits.len(), MAX_COMMITS);
        assert_eq!(batch.omitted, 5);
        // Newest first: the first commits of the walk are kept.
        assert_eq!(batch.commits[0].id, many[0].sha);

        let huge: Vec<FileChange> = (0..MAX_FILES_PER_COMMIT + 10)
            .map(|i| FileChange::new(format!("vendor/{i}.js"), ChangeKind::Added))
            .collect();
        let batch = commit_payload(&[commit(1, Some(huge))], None);
        assert_eq!(
            batch.commits[0].patch_set.as_ref().unwrap().len(),
            MAX_FILES_PER_COMMIT
        );
        assert_eq!(batch.commits[0].repository, None);

        let long_repo = format!("acme/{}", "x".repeat(70));
        let batch = commit_payload(&[commit(1, None)], Some(&long_repo));
        assert_eq!(batch.commits[0].repository, None);
    }
}
