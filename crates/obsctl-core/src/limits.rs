//! Every text obsctl sends, with its target's documented limit, in one
//! table ([`ALL`], rendered in `docs/limits.md`), and the builders of the
//! GitHub and Sentry fields that are not built elsewhere.
//!
//! Each limit is enforced in one place per target, with the one truncation
//! rule of [`crate::text`]: lists are cut at whole entries with a final
//! `… and N more` ([`crate::text::fit_list`]); a single text is cut by characters
//! with `…` ([`crate::text::truncate`]), never inside a character or an escape;
//! an identifier (a version, an environment) is never cut: it is refused
//! before anything is written (exit 2).
//!
//! Where each is enforced:
//! - GitHub release body: [`crate::notes::render`] (whole entries, the
//!   compare link kept);
//! - GitHub deployments, statuses, issues, comments and labels: the
//!   functions of [`github`], called by obsctl's GitHub client just before
//!   it sends;
//! - Sentry: [`sentry`] (called by obsctl's Sentry client), monitor and
//!   alert names in [`crate::alerts::compile`], event tags in
//!   [`crate::events::envelope`], versions and environments in
//!   [`crate::release::validate_version`] and
//!   [`crate::deploy::validate_environment_for`];
//! - Slack and Discord: the Block Kit and Discord builders of
//!   [`crate::message`] (limits in [`crate::message::limits`]).

use crate::text::Unit;

pub use crate::message::limits::{discord, slack};

/// GitHub's limits (REST API 2022-11-28), in characters.
pub mod github {
    use crate::text::{self, Unit};

    /// A release body (GitHub's 422: "body is too long (maximum is 125000
    /// characters)").
    pub const RELEASE_BODY: usize = crate::notes::GITHUB_RELEASE_BODY_MAX;
    /// A deployment status description
    /// (`contracts/github/create-deployment-status.json`).
    pub const STATUS_DESCRIPTION: usize = 140;
    /// A deployment description: GitHub documents no limit; obsctl keeps to
    /// the status description's 140.
    pub const DEPLOYMENT_DESCRIPTION: usize = 140;
    /// An environment name.
    pub const ENVIRONMENT: usize = crate::deploy::GITHUB_ENVIRONMENT_MAX;
    /// An issue title (GitHub's 422: "title is too long (maximum is 256
    /// characters)").
    pub const ISSUE_TITLE: usize = 256;
    /// An issue body (GitHub's 422: "body is too long (maximum is 65536
    /// characters)").
    pub const ISSUE_BODY: usize = 65_536;
    /// An issue comment body (the same 65,536).
    pub const COMMENT_BODY: usize = 65_536;
    /// A label name (GitHub's 422: "name is too long (maximum is 50
    /// characters)").
    pub const LABEL_NAME: usize = 50;
    /// A label description.
    pub const LABEL_DESCRIPTION: usize = 100;

    /// Release notes within `room` characters (what a release body leaves
    /// them: [`RELEASE_BODY`] less the text around obsctl's section): cut
    /// at whole lines with `… and N more`, the compare link
    /// (`**Full changelog**: …`, the last line) kept. For notes that were
    /// not rendered to fit (a `--notes-file`, or a body written by hand
    /// around obsctl's section).
    pub fn release_notes(notes: &str, room: usize) -> String {
        if notes.chars().count() <= room {
            return notes.to_string();
        }
        let lines: Vec<&str> = notes.trim_end().lines().collect();
        let (body, tail) = match lines.split_last() {
            Some((last, rest)) if last.starts_with("**Full changelog**") => (rest, *last),
            _ => (&lines[..], ""),
        };
        let entries: Vec<String> = body.iter().map(|l| l.to_string()).collect();
        text::fit_list("", &entries, tail, room, Unit::Chars).text
    }

    /// A deployment description within [`DEPLOYMENT_DESCRIPTION`].
    pub fn deployment_description(s: &str) -> String {
        text::truncate(s, DEPLOYMENT_DESCRIPTION, Unit::Chars)
    }

    /// A status description within [`STATUS_DESCRIPTION`].
    pub fn status_description(s: &str) -> String {
        text::truncate(s, STATUS_DESCRIPTION, Unit::Chars)
    }

    /// An issue title within [`ISSUE_TITLE`] (trimmed). Matching an issue
    /// by title compares with this, since it is what GitHub stores.
    pub fn issue_title(s: &str) -> String {
        text::truncate(s.trim(), ISSUE_TITLE, Unit::Chars)
    }

    /// An issue body within [`ISSUE_BODY`]: obsctl's trailing marker lines
    /// are kept whole ([`text::truncate_keeping_markers`]).
    pub fn issue_body(s: &str) -> String {
        text::truncate_keeping_markers(s, ISSUE_BODY)
    }

    /// A comment body within [`COMMENT_BODY`], markers kept. Comparing
    /// with a posted comment compares with this.
    pub fn comment_body(s: &str) -> String {
        text::truncate_keeping_markers(s, COMMENT_BODY)
    }

    /// A label name within [`LABEL_NAME`]. A label is found by its name,
    /// so creating, applying and listing by a label all use this.
    pub fn label_name(s: &str) -> String {
        text::truncate(s, LABEL_NAME, Unit::Chars)
    }

    /// A label description within [`LABEL_DESCRIPTION`].
    pub fn label_description(s: &str) -> String {
        text::truncate(s, LABEL_DESCRIPTION, Unit::Chars)
    }
}

/// Sentry's limits (`contracts/sentry/*.json`), in characters.
pub mod sentry {
    use crate::text::{self, Unit};

    /// A release version (refused above: [`crate::release::validate_version`]).
    pub const RELEASE_VERSION: usize = crate::release::MAX_VERSION_LEN;
    /// An environment name (refused above).
    pub const ENVIRONMENT: usize = crate::deploy::ENVIRONMENT_MAX;
    /// A deploy name.
    pub const DEPLOY_NAME: usize = 64;
    /// `commits[].repository`.
    pub const COMMIT_REPOSITORY: usize = 64;
    /// `commits[].author_name`.
    pub const COMMIT_AUTHOR_NAME: usize = 128;
    /// `commits[].author_email`.
    pub const COMMIT_AUTHOR_EMAIL: usize = 200;
    /// `commits[].patch_set[].path`.
    pub const PATCH_PATH: usize = 510;
    /// `commits[].message`: Sentry documents no limit; obsctl's bound (a
    /// generated commit can carry megabytes).
    pub const COMMIT_MESSAGE: usize = 65_536;
    /// Commits per release: obsctl's bound (the newest are sent), with
    /// the body kept under 4 MiB.
    pub const COMMITS: usize = 1000;
    /// A monitor (detector) name.
    pub const DETECTOR_NAME: usize = 200;
    /// An alert (workflow) name.
    pub const WORKFLOW_NAME: usize = 256;
    /// An event's formatted message (`contracts/sentry/envelope.json`).
    pub const EVENT_MESSAGE: usize = 8192;
    /// An event tag value.
    pub const TAG_VALUE: usize = 200;
    /// An event tag key: Sentry's tags page says 32 on most SDKs' pages
    /// and 200 on newer ones (and in the envelope contract); obsctl keeps 32.
    pub const TAG_KEY: usize = 32;

    /// The deploy name of a GitHub deployment: `<environment> #<id>`, the
    /// environment cut (with `…`) so that the id always fits.
    pub fn deploy_name(environment: &str, deployment_id: u64) -> String {
        let id = format!(" #{deployment_id}");
        let room = DEPLOY_NAME.saturating_sub(id.chars().count());
        format!("{}{id}", text::truncate(environment, room, Unit::Chars))
    }

    /// A commit message within [`COMMIT_MESSAGE`].
    pub fn commit_message(s: &str) -> String {
        text::truncate(s, COMMIT_MESSAGE, Unit::Chars)
    }

    /// An author name within [`COMMIT_AUTHOR_NAME`].
    pub fn commit_author_name(s: &str) -> String {
        text::truncate(s, COMMIT_AUTHOR_NAME, Unit::Chars)
    }

    /// An author e-mail, when it fits: an address cannot be cut, so a
    /// longer one (or an empty one) is left out.
    pub fn commit_author_email(s: &str) -> Option<String> {
        (!s.is_empty() && s.chars().count() <= COMMIT_AUTHOR_EMAIL).then(|| s.to_string())
    }

    /// The repository name, when it fits: a name cannot be cut, so a
    /// longer one is left out (Sentry then links the commits to no
    /// repository).
    pub fn commit_repository(s: &str) -> Option<String> {
        (s.chars().count() <= COMMIT_REPOSITORY).then(|| s.to_string())
    }

    /// Whether a file path fits `patch_set[].path` (a longer one is left
    /// out of the commit's files: a path cannot be cut).
    pub fn patch_path_fits(s: &str) -> bool {
        s.chars().count() <= PATCH_PATH
    }

    /// An event tag within [`TAG_KEY`] / [`TAG_VALUE`]; a value holds no
    /// line break (Sentry refuses one), so those become spaces. A key
    /// allows only letters, digits and `_.:-`: it is cut without `…`
    /// (obsctl's own keys, `obsctl.run` and the like, are far shorter).
    pub fn tag(key: &str, value: &str) -> (String, String) {
        let value = value.replace(['\r', '\n'], " ");
        (
            key.chars().take(TAG_KEY).collect(),
            text::truncate(&value, TAG_VALUE, Unit::Chars),
        )
    }

    /// An event message within [`EVENT_MESSAGE`].
    pub fn event_message(s: &str) -> String {
        text::truncate(s, EVENT_MESSAGE, Unit::Chars)
    }
}

/// Which service a limit belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// GitHub's REST API.
    GitHub,
    /// Sentry's API and ingestion.
    Sentry,
    /// Slack (Block Kit, `chat.postMessage`, incoming webhooks).
    Slack,
    /// Discord webhooks.
    Discord,
}

impl Target {
    /// The service's name, as the docs write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::GitHub => "GitHub",
            Target::Sentry => "Sentry",
            Target::Slack => "Slack",
            Target::Discord => "Discord",
        }
    }
}

/// One field obsctl writes and its limit.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// A stable id, `target.field` (the tests key on it).
    pub id: &'static str,
    /// The service.
    pub target: Target,
    /// The field as the API names it.
    pub field: &'static str,
    /// The limit, in [`Limit::unit`].
    pub max: usize,
    /// How the limit is counted.
    pub unit: Unit,
    /// Where the limit is stated.
    pub source: &'static str,
    /// What obsctl does when a text is over it.
    pub over: &'static str,
}

const CUT: &str = "cut by characters, ending in `…`";
const REFUSED: &str = "refused before anything is written (exit 2)";
const GH_422: &str =
    "GitHub's 422 answer (\"maximum is N characters\"); not in the OpenAPI description";
const SENTRY_RELEASE: &str = "contracts/sentry/create-release.json (`maxLength`)";
const BLOCK_KIT: &str = "contracts/slack/block-kit-message.json (Slack's Block Kit reference)";
const DISCORD: &str = "contracts/discord/webhook-message.json (Discord's webhook and embed limits)";

/// Every field obsctl writes to a remote that has a limit (the rows of
/// `docs/limits.md`).
pub const ALL: &[Limit] = &[
    Limit {
        id: "github.release.body",
        target: Target::GitHub,
        field: "release `body`",
        max: github::RELEASE_BODY,
        unit: Unit::Chars,
        source: GH_422,
        over: "whole entries left out (least important sections first), then `… and N more changes`; the compare link kept (a `--notes-file`, or notes beside text written by hand: whole lines, `… and N more`)",
    },
    Limit {
        id: "github.deployment.description",
        target: Target::GitHub,
        field: "deployment `description`",
        max: github::DEPLOYMENT_DESCRIPTION,
        unit: Unit::Chars,
        source: "none documented; obsctl keeps to the status description's 140",
        over: CUT,
    },
    Limit {
        id: "github.deployment_status.description",
        target: Target::GitHub,
        field: "deployment status `description`",
        max: github::STATUS_DESCRIPTION,
        unit: Unit::Chars,
        source: "contracts/github/create-deployment-status.json (`maxLength`)",
        over: CUT,
    },
    Limit {
        id: "github.environment",
        target: Target::GitHub,
        field: "deployment `environment`",
        max: github::ENVIRONMENT,
        unit: Unit::Chars,
        source: "GitHub's environments documentation",
        over: REFUSED,
    },
    Limit {
        id: "github.issue.title",
        target: Target::GitHub,
        field: "issue `title`",
        max: github::ISSUE_TITLE,
        unit: Unit::Chars,
        source: GH_422,
        over: CUT,
    },
    Limit {
        id: "github.issue.body",
        target: Target::GitHub,
        field: "issue `body`",
        max: github::ISSUE_BODY,
        unit: Unit::Chars,
        source: GH_422,
        over: "cut by characters with `… and N more characters`; obsctl's marker lines kept",
    },
    Limit {
        id: "github.comment.body",
        target: Target::GitHub,
        field: "issue comment `body`",
        max: github::COMMENT_BODY,
        unit: Unit::Chars,
        source: GH_422,
        over: "cut by characters with `… and N more characters`; obsctl's marker lines kept",
    },
    Limit {
        id: "github.label.name",
        target: Target::GitHub,
        field: "label `name`",
        max: github::LABEL_NAME,
        unit: Unit::Chars,
        source: GH_422,
        over: "cut by characters, ending in `…` (the same name when creating, applying and listing)",
    },
    Limit {
        id: "github.label.description",
        target: Target::GitHub,
        field: "label `description`",
        max: github::LABEL_DESCRIPTION,
        unit: Unit::Chars,
        source: GH_422,
        over: CUT,
    },
    Limit {
        id: "sentry.release.version",
        target: Target::Sentry,
        field: "release `version`",
        max: sentry::RELEASE_VERSION,
        unit: Unit::Chars,
        source: SENTRY_RELEASE,
        over: REFUSED,
    },
    Limit {
        id: "sentry.deploy.environment",
        target: Target::Sentry,
        field: "deploy `environment`",
        max: sentry::ENVIRONMENT,
        unit: Unit::Chars,
        source: "contracts/sentry/create-release-deploy.json (`maxLength`)",
        over: REFUSED,
    },
    Limit {
        id: "sentry.deploy.name",
        target: Target::Sentry,
        field: "deploy `name`",
        max: sentry::DEPLOY_NAME,
        unit: Unit::Chars,
        source: "contracts/sentry/create-release-deploy.json (`maxLength`)",
        over: "the environment part cut with `…`; the deployment id kept",
    },
    Limit {
        id: "sentry.release.commits",
        target: Target::Sentry,
        field: "release `commits[]`",
        max: sentry::COMMITS,
        unit: Unit::Count,
        source: "none documented; obsctl's bound (with the body under 4 MiB)",
        over: "the newest sent; the output says how many were left out",
    },
    Limit {
        id: "sentry.commit.message",
        target: Target::Sentry,
        field: "`commits[].message`",
        max: sentry::COMMIT_MESSAGE,
        unit: Unit::Chars,
        source: "none documented; obsctl's bound",
        over: CUT,
    },
    Limit {
        id: "sentry.commit.author_name",
        target: Target::Sentry,
        field: "`commits[].author_name`",
        max: sentry::COMMIT_AUTHOR_NAME,
        unit: Unit::Chars,
        source: SENTRY_RELEASE,
        over: CUT,
    },
    Limit {
        id: "sentry.commit.author_email",
        target: Target::Sentry,
        field: "`commits[].author_email`",
        max: sentry::COMMIT_AUTHOR_EMAIL,
        unit: Unit::Chars,
        source: SENTRY_RELEASE,
        over: "left out (an address cannot be cut)",
    },
    Limit {
        id: "sentry.commit.repository",
        target: Target::Sentry,
        field: "`commits[].repository`",
        max: sentry::COMMIT_REPOSITORY,
        unit: Unit::Chars,
        source: SENTRY_RELEASE,
        over: "left out (a name cannot be cut)",
    },
    Limit {
        id: "sentry.commit.patch_path",
        target: Target::Sentry,
        field: "`commits[].patch_set[].path`",
        max: sentry::PATCH_PATH,
        unit: Unit::Chars,
        source: SENTRY_RELEASE,
        over: "that file left out of the commit's files",
    },
    Limit {
        id: "sentry.detector.name",
        target: Target::Sentry,
        field: "monitor (detector) `name`",
        max: sentry::DETECTOR_NAME,
        unit: Unit::Chars,
        source: "contracts/sentry/create-project-detector.json (`maxLength`)",
        over: CUT,
    },
    Limit {
        id: "sentry.workflow.name",
        target: Target::Sentry,
        field: "alert (workflow) `name`",
        max: sentry::WORKFLOW_NAME,
        unit: Unit::Chars,
        source: "contracts/sentry/create-workflow.json (`maxLength`)",
        over: "the title cut with `…`; obsctl's marker kept",
    },
    Limit {
        id: "sentry.event.message",
        target: Target::Sentry,
        field: "event `message`",
        max: sentry::EVENT_MESSAGE,
        unit: Unit::Chars,
        source: "contracts/sentry/envelope.json (`message.formatted`)",
        over: CUT,
    },
    Limit {
        id: "sentry.event.tag",
        target: Target::Sentry,
        field: "event tag value",
        max: sentry::TAG_VALUE,
        unit: Unit::Chars,
        source: "contracts/sentry/envelope.json (`tags`); Sentry's tags documentation",
        over: "cut by characters, ending in `…` (line breaks become spaces)",
    },
    Limit {
        id: "sentry.event.tag_key",
        target: Target::Sentry,
        field: "event tag key",
        max: sentry::TAG_KEY,
        unit: Unit::Chars,
        source: "Sentry's tags documentation (32 on most SDK pages; 200 in the envelope contract: obsctl keeps 32)",
        over: "cut to 32 characters without `…` (a key allows only letters, digits and `_.:-`); obsctl's keys are shorter",
    },
    Limit {
        id: "slack.blocks",
        target: Target::Slack,
        field: "`blocks` (header and attachment together)",
        max: slack::BLOCKS,
        unit: Unit::Count,
        source: BLOCK_KIT,
        over: "whole blocks left out; a last context block `… and N more`",
    },
    Limit {
        id: "slack.header",
        target: Target::Slack,
        field: "header `text` (plain_text)",
        max: slack::HEADER,
        unit: Unit::Chars,
        source: BLOCK_KIT,
        over: CUT,
    },
    Limit {
        id: "slack.section.text",
        target: Target::Slack,
        field: "section `text` (mrkdwn)",
        max: slack::SECTION_TEXT,
        unit: Unit::Chars,
        source: BLOCK_KIT,
        over: "cut by characters, ending in `…` (never inside `&amp;`-style escapes)",
    },
    Limit {
        id: "slack.section.fields",
        target: Target::Slack,
        field: "section `fields`",
        max: slack::FIELDS,
        unit: Unit::Count,
        source: BLOCK_KIT,
        over: "the next ten in another section (within the 50 blocks)",
    },
    Limit {
        id: "slack.field.text",
        target: Target::Slack,
        field: "one field's `text`",
        max: slack::FIELD_TEXT,
        unit: Unit::Chars,
        source: BLOCK_KIT,
        over: CUT,
    },
    Limit {
        id: "slack.context.elements",
        target: Target::Slack,
        field: "context `elements`",
        max: slack::CONTEXT_ELEMENTS,
        unit: Unit::Count,
        source: BLOCK_KIT,
        over: "the rest joined into the tenth element",
    },
    Limit {
        id: "slack.context.text",
        target: Target::Slack,
        field: "context element `text`",
        max: slack::CONTEXT_TEXT,
        unit: Unit::Chars,
        source: BLOCK_KIT,
        over: CUT,
    },
    Limit {
        id: "slack.actions.elements",
        target: Target::Slack,
        field: "actions `elements` (buttons)",
        max: slack::ACTIONS_ELEMENTS,
        unit: Unit::Count,
        source: BLOCK_KIT,
        over: "the next 25 in another actions block",
    },
    Limit {
        id: "slack.button.text",
        target: Target::Slack,
        field: "button `text`",
        max: slack::BUTTON_TEXT,
        unit: Unit::Chars,
        source: BLOCK_KIT,
        over: CUT,
    },
    Limit {
        id: "slack.button.url",
        target: Target::Slack,
        field: "button `url`",
        max: slack::BUTTON_URL,
        unit: Unit::Chars,
        source: BLOCK_KIT,
        over: "the button left out (a URL cannot be cut)",
    },
    Limit {
        id: "slack.text",
        target: Target::Slack,
        field: "top-level `text` (notification fallback)",
        max: slack::FALLBACK_TEXT,
        unit: Unit::Chars,
        source: "Slack's chat.postMessage reference: truncated above 40,000, at most 4,000 recommended; obsctl keeps 3,000",
        over: CUT,
    },
    Limit {
        id: "discord.content",
        target: Target::Discord,
        field: "`content` (mentions)",
        max: discord::CONTENT,
        unit: Unit::Utf16,
        source: DISCORD,
        over: "whole mentions only",
    },
    Limit {
        id: "discord.embeds",
        target: Target::Discord,
        field: "`embeds`",
        max: discord::EMBEDS,
        unit: Unit::Count,
        source: DISCORD,
        over: "obsctl sends one embed; a `--payload` file's extra embeds are left out",
    },
    Limit {
        id: "discord.embed.title",
        target: Target::Discord,
        field: "embed `title`",
        max: discord::TITLE,
        unit: Unit::Utf16,
        source: DISCORD,
        over: CUT,
    },
    Limit {
        id: "discord.embed.description",
        target: Target::Discord,
        field: "embed `description`",
        max: discord::DESCRIPTION,
        unit: Unit::Utf16,
        source: DISCORD,
        over: "cut by characters, ending in `…` (never inside a `\\` escape)",
    },
    Limit {
        id: "discord.embed.fields",
        target: Target::Discord,
        field: "embed `fields`",
        max: discord::FIELDS,
        unit: Unit::Count,
        source: DISCORD,
        over: "whole fields left out; a last field `… and N more`",
    },
    Limit {
        id: "discord.field.name",
        target: Target::Discord,
        field: "field `name`",
        max: discord::FIELD_NAME,
        unit: Unit::Utf16,
        source: DISCORD,
        over: CUT,
    },
    Limit {
        id: "discord.field.value",
        target: Target::Discord,
        field: "field `value`",
        max: discord::FIELD_VALUE,
        unit: Unit::Utf16,
        source: DISCORD,
        over: CUT,
    },
    Limit {
        id: "discord.footer",
        target: Target::Discord,
        field: "embed `footer.text`",
        max: discord::FOOTER,
        unit: Unit::Utf16,
        source: DISCORD,
        over: CUT,
    },
    Limit {
        id: "discord.total",
        target: Target::Discord,
        field: "title + description + fields + footer + author, all embeds",
        max: discord::TOTAL,
        unit: Unit::Utf16,
        source: DISCORD,
        over: "the description shortened, then whole fields left out with a last field `… and N more`",
    },
];

/// The row of `id`, if there is one.
pub fn find(id: &str) -> Option<&'static Limit> {
    ALL.iter().find(|l| l.id == id)
}

/// `docs/limits.md`'s table, one row per [`ALL`] entry (the docs test
/// checks the page holds each row).
pub fn markdown_rows() -> Vec<String> {
    ALL.iter()
        .map(|l| {
            format!(
                "| {} | {} | {} | {} | {} | {} |",
                l.field,
                l.target.as_str(),
                thousands(l.max),
                l.unit.as_str(),
                l.source,
                l.over
            )
        })
        .collect()
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
