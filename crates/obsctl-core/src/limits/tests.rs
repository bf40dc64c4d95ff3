//! One case per row of [`ALL`]: an input over the limit goes through the
//! builder that sends it, and what comes out is within the limit and says
//! what was left out (a list: `… and N more` with the right N; a text: the
//! `…`; an identifier: refused; a value that cannot be cut: left out).

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::*;
use crate::commit::{CommitInfo, Person};
use crate::message::{Message, discord::discord_payload, slack::all_blocks, slack::slack_payload};
use crate::notes::{self, Links, NotesInput};
use crate::text::{ELLIPSIS, more_line};

/// What one case measured.
struct Outcome {
    /// The input's size, in the row's unit (must be over the limit).
    input: usize,
    /// What was sent, in the row's unit.
    output: usize,
    /// Whether the result says that something was left out.
    says: bool,
}

fn long(n: usize) -> String {
    "ab😀 ".repeat(n / 4 + 1)
}

fn cut_text(input: &str, out: &str, unit: Unit) -> Outcome {
    Outcome {
        input: unit.len(input),
        output: unit.len(out),
        says: out.ends_with(ELLIPSIS),
    }
}

fn refused(input: &str, err: Result<(), String>) -> Outcome {
    Outcome {
        input: input.chars().count(),
        output: 0,
        says: err.is_err(),
    }
}

fn left_out(input: &str, sent: Option<String>) -> Outcome {
    Outcome {
        input: input.chars().count(),
        output: sent.map(|s| s.chars().count()).unwrap_or(0),
        says: true,
    }
}

fn commit(i: u32, subject: &str) -> CommitInfo {
    let t: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2026-01-02T03:04:05+00:00").unwrap();
    CommitInfo {
        sha: format!("{i:040x}"),
        parents: vec!["0".repeat(40)],
        subject: subject.into(),
        body: String::new(),
        author: Person {
            name: "Dev".into(),
            email: "dev@example.com".into(),
            time: t,
        },
        committer_time: t,
        files: Some(vec![]),
    }
}

fn slack_texts(p: &Value, pick: impl Fn(&Value) -> Vec<String>) -> Vec<String> {
    all_blocks(p).into_iter().flat_map(pick).collect()
}

/// The number in a `… and N more` line of `text`, if there is one.
fn more_count(text: &str) -> Option<usize> {
    let start = text.find(&format!("{ELLIPSIS} and "))? + ELLIPSIS.len_utf8() + 5;
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

const ALERTS: &str = r##"[sentry]
org = "acme"

[[service]]
name = "SERVICE"
health_url = "https://web.example.com/healthz"

[[alert]]
key = "web-error-rate"
service = "SERVICE"
kind = "error-rate"
threshold = 0.01
window = "5m"
severity = "critical"
"##;

fn case(id: &str) -> Option<Outcome> {
    let chars = Unit::Chars;
    Some(match id {
        "github.release.body" => {
            let commits: Vec<CommitInfo> = (0..1000)
                .map(|i| commit(i, &format!("fix: change {i} {}", "x".repeat(150))))
                .collect();
            let input = NotesInput {
                links: Some(Links {
                    server: "https://github.com".into(),
                    repo: "acme/web".into(),
                }),
                tag: Some("v2.0.0".into()),
                previous_tag: Some("v1.0.0".into()),
                max_chars: Some(github::RELEASE_BODY),
                ..Default::default()
            };
            let all = notes::render(
                &commits,
                &NotesInput {
                    max_chars: None,
                    ..input.clone()
                },
            );
            let out = notes::render(&commits, &input);
            let listed = out.lines().filter(|l| l.starts_with("- ")).count();
            Outcome {
                input: chars.len(&all),
                output: chars.len(&out),
                says: more_count(&out) == Some(1000 - listed)
                    && out.ends_with("compare/v1.0.0...v2.0.0)\n"),
            }
        }
        "github.deployment.description" => {
            let s = long(500);
            cut_text(&s, &github::deployment_description(&s), chars)
        }
        "github.deployment_status.description" => {
            let s = long(500);
            cut_text(&s, &github::status_description(&s), chars)
        }
        "github.environment" => {
            let s = "e".repeat(300);
            refused(
                &s,
                crate::deploy::validate_environment_for(
                    &s,
                    crate::deploy::NameRules::of(true, false),
                )
                .map(|_| ())
                .map_err(|e| e.0),
            )
        }
        "github.issue.title" => {
            let s = long(1000);
            cut_text(&s, &github::issue_title(&s), chars)
        }
        "github.issue.body" | "github.comment.body" => {
            let marker = "<!-- obsctl:incident service=web source=check -->";
            let s = format!("{}\n\n{marker}\n", "w\\*x ".repeat(20_000));
            let out = if id == "github.issue.body" {
                github::issue_body(&s)
            } else {
                github::comment_body(&s)
            };
            Outcome {
                input: chars.len(&s),
                output: chars.len(&out),
                says: more_count(&out).is_some() && out.trim_end().ends_with(marker),
            }
        }
        "github.label.name" => {
            let s = format!("service:{}", long(200));
            cut_text(&s, &github::label_name(&s), chars)
        }
        "github.label.description" => {
            let s = long(300);
            cut_text(&s, &github::label_description(&s), chars)
        }
        "sentry.release.version" => {
            let s = "1".repeat(201);
            refused(&s, crate::release::validate_version(&s))
        }
        "sentry.deploy.environment" => {
            let s = "e".repeat(65);
            refused(
                &s,
                crate::deploy::validate_environment(&s)
                    .map(|_| ())
                    .map_err(|e| e.0),
            )
        }
        "sentry.deploy.name" => {
            let env = "e".repeat(64);
            let out = sentry::deploy_name(&env, 123_456_789);
            Outcome {
                input: chars.len(&format!("{env} #123456789")),
                output: chars.len(&out),
                says: out.ends_with("… #123456789"),
            }
        }
        // Sent by obsctl's Sentry client (src/providers/sentry/releases.rs,
        // whose tests send 1,005 commits and check `omitted`); the bound
        // is checked here against the batch rule it uses.
        "sentry.release.commits" => {
            let entries: Vec<String> = (0..1005).map(|i| format!("c{i}")).collect();
            let kept = entries.len().min(sentry::COMMITS);
            Outcome {
                input: entries.len(),
                output: kept,
                says: entries.len() - kept == 5,
            }
        }
        "sentry.commit.message" => {
            let s = long(70_000);
            cut_text(&s, &sentry::commit_message(&s), chars)
        }
        "sentry.commit.author_name" => {
            let s = long(300);
            cut_text(&s, &sentry::commit_author_name(&s), chars)
        }
        "sentry.commit.author_email" => {
            let s = format!("{}@example.com", "a".repeat(200));
            left_out(&s, sentry::commit_author_email(&s))
        }
        "sentry.commit.repository" => {
            let s = format!("group/{}/web", "sub/".repeat(20));
            left_out(&s, sentry::commit_repository(&s))
        }
        "sentry.commit.patch_path" => {
            let s = "dir/".repeat(200);
            left_out(&s, sentry::patch_path_fits(&s).then(|| s.clone()))
        }
        "sentry.detector.name" | "sentry.workflow.name" => {
            let service = "w".repeat(300);
            let config = crate::alerts::lint::lint("o.toml", &ALERTS.replace("SERVICE", &service));
            let config = config.expect("a long service name lints");
            let alert = &config.alerts[0];
            let svc = config.service(&service).unwrap();
            let (out, input) = if id == "sentry.detector.name" {
                let n = crate::alerts::compile::detector_name(alert, svc);
                (n, 300)
            } else {
                let n = crate::alerts::compile::workflow_name(alert, svc);
                (n, 300)
            };
            Outcome {
                input,
                output: chars.len(&out),
                says: out.contains(ELLIPSIS)
                    && (id == "sentry.detector.name" || out.ends_with("obsctl:key=web-error-rate")),
            }
        }
        "sentry.event.message" => {
            let s = long(9000);
            cut_text(&s, &sentry::event_message(&s), chars)
        }
        "sentry.event.tag" | "sentry.event.tag_key" => {
            let v = long(300);
            let key = format!("obsctl.{}", "k".repeat(40));
            let ev = crate::events::envelope::TestEvent {
                random: [7; 16],
                run_id: v.clone(),
                timestamp: crate::text::parse_rfc3339("2026-01-01T00:00:00Z").unwrap(),
                release: None,
                environment: None,
                service: None,
                tags: vec![(key.clone(), "v".into())],
            }
            .to_event("0.1.0");
            if id == "sentry.event.tag_key" {
                let sent = ev.tags.keys().find(|k| k.starts_with("obsctl.kk")).unwrap();
                Outcome {
                    input: chars.len(&key),
                    output: chars.len(sent),
                    says: key.starts_with(sent.as_str()),
                }
            } else {
                let sent = ev.tags.get("obsctl.run").cloned().unwrap_or_default();
                cut_text(&v, &sent, chars)
            }
        }
        "slack.blocks" => {
            let mut msg = Message::new("t");
            for i in 0..600 {
                msg = msg.field(format!("k{i}"), "v");
            }
            let p = slack_payload(&msg, None);
            let blocks = all_blocks(&p);
            let last = blocks.last().unwrap()["elements"][0]["text"]
                .as_str()
                .unwrap_or("");
            // 60 sections of ten fields; 48 fit beside the header and the line.
            Outcome {
                input: 61,
                output: blocks.len(),
                says: more_count(last) == Some(12),
            }
        }
        "slack.header" => {
            let s = long(400);
            let p = slack_payload(&Message::new(s.clone()), None);
            cut_text(&s, p["blocks"][0]["text"]["text"].as_str().unwrap(), chars)
        }
        "slack.section.text" | "slack.text" => {
            let s = long(5000);
            let p = slack_payload(&Message::new("t").text(s.clone()), None);
            let out = if id == "slack.text" {
                p["text"].as_str().unwrap().to_string()
            } else {
                p["attachments"][0]["blocks"][0]["text"]["text"]
                    .as_str()
                    .unwrap()
                    .to_string()
            };
            cut_text(&s, &out, chars)
        }
        "slack.section.fields" => {
            let mut msg = Message::new("t");
            for i in 0..25 {
                msg = msg.field(format!("k{i}"), "v");
            }
            let p = slack_payload(&msg, None);
            let per: Vec<usize> = all_blocks(&p)
                .iter()
                .filter_map(|b| b["fields"].as_array().map(Vec::len))
                .collect();
            Outcome {
                input: 25,
                output: per.iter().copied().max().unwrap_or(0),
                says: per.iter().sum::<usize>() == 25,
            }
        }
        "slack.field.text" => {
            let s = long(3000);
            let p = slack_payload(&Message::new("t").field("k", s.clone()), None);
            let texts = slack_texts(&p, |b| {
                b["fields"]
                    .as_array()
                    .map(|f| {
                        f.iter()
                            .filter_map(|f| f["text"].as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            });
            cut_text(&s, &texts[0], chars)
        }
        "slack.context.elements" | "slack.context.text" => {
            let mut msg = Message::new("t");
            let s = long(4000);
            for i in 0..15 {
                msg = msg.context_line(if id == "slack.context.text" {
                    s.clone()
                } else {
                    format!("c{i}")
                });
            }
            let p = slack_payload(&msg, None);
            let ctx = all_blocks(&p)
                .into_iter()
                .find(|b| b["type"] == "context")
                .unwrap()
                .clone();
            let elements: Vec<String> = ctx["elements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["text"].as_str().unwrap().to_string())
                .collect();
            if id == "slack.context.text" {
                cut_text(&s, &elements[0], chars)
            } else {
                Outcome {
                    input: 15,
                    output: elements.len(),
                    says: elements.last().unwrap().contains("c14"),
                }
            }
        }
        "slack.actions.elements" => {
            let mut msg = Message::new("t");
            for i in 0..30 {
                msg = msg.link(format!("b{i}"), format!("https://x.example/{i}"));
            }
            let p = slack_payload(&msg, None);
            let per: Vec<usize> = all_blocks(&p)
                .iter()
                .filter(|b| b["type"] == "actions")
                .map(|b| b["elements"].as_array().unwrap().len())
                .collect();
            Outcome {
                input: 30,
                output: per.iter().copied().max().unwrap_or(0),
                says: per.iter().sum::<usize>() == 30,
            }
        }
        "slack.button.text" => {
            let s = long(200);
            let p = slack_payload(
                &Message::new("t").link(s.clone(), "https://x.example"),
                None,
            );
            let b = all_blocks(&p)
                .into_iter()
                .find(|b| b["type"] == "actions")
                .unwrap()
                .clone();
            cut_text(
                &s,
                b["elements"][0]["text"]["text"].as_str().unwrap(),
                chars,
            )
        }
        "slack.button.url" => {
            let url = format!("https://x.example/{}", "a".repeat(3100));
            let p = slack_payload(&Message::new("t").link("b", url.clone()), None);
            let sent = all_blocks(&p)
                .into_iter()
                .find(|b| b["type"] == "actions")
                .map(|b| b["elements"][0]["url"].as_str().unwrap().to_string());
            left_out(&url, sent)
        }
        "discord.content" => {
            let mut msg = Message::new("t");
            for i in 0..200 {
                msg = msg.mention(format!("{}", 80_351_110_224_678_912u64 + i));
            }
            let p = discord_payload(&msg);
            let content = p["content"].as_str().unwrap();
            Outcome {
                input: 200 * 22,
                output: Unit::Utf16.len(content),
                says: content
                    .split(' ')
                    .all(|m| m.starts_with("<@") && m.ends_with('>')),
            }
        }
        "discord.embeds" => {
            let p = discord_payload(&Message::new("t"));
            let mut v = serde_json::json!({ "embeds": vec![p["embeds"][0].clone(); 12] });
            crate::message::payload::finish_discord(&mut v, &[]);
            Outcome {
                input: 12,
                output: v["embeds"].as_array().unwrap().len(),
                says: true,
            }
        }
        "discord.embed.title" => {
            let s = long(400);
            let p = discord_payload(&Message::new(s.clone()));
            cut_text(&s, p["embeds"][0]["title"].as_str().unwrap(), Unit::Utf16)
        }
        "discord.embed.description" => {
            // Escaped, each piece is 17 units (a backslash becomes two), so
            // the cut at 4,095 falls right after the first backslash.
            let s = "abcdefghijklmn\\*".repeat(1000);
            let p = discord_payload(&Message::new("t").text(s.clone()));
            let d = p["embeds"][0]["description"].as_str().unwrap();
            let mut o = cut_text(&s, d, Unit::Utf16);
            // Never half an escape: an even run of `\` before the `…`.
            let kept = d.strip_suffix(ELLIPSIS).unwrap_or(d);
            o.says &= (kept.len() - kept.trim_end_matches('\\').len()) % 2 == 0;
            o
        }
        "discord.embed.fields" => {
            let mut msg = Message::new("t");
            for i in 0..40 {
                msg = msg.field(format!("k{i}"), "v");
            }
            let p = discord_payload(&msg);
            let f = p["embeds"][0]["fields"].as_array().unwrap();
            let real = f.iter().filter(|f| f["name"] != "…").count();
            let last = f.last().unwrap()["value"].as_str().unwrap();
            Outcome {
                input: 40,
                output: f.len(),
                says: more_count(last) == Some(40 - real),
            }
        }
        "discord.field.name" | "discord.field.value" => {
            let s = long(2000);
            let msg = if id == "discord.field.name" {
                Message::new("t").field(s.clone(), "v")
            } else {
                Message::new("t").field("k", s.clone())
            };
            let p = discord_payload(&msg);
            let key = if id == "discord.field.name" {
                "name"
            } else {
                "value"
            };
            cut_text(
                &s,
                p["embeds"][0]["fields"][0][key].as_str().unwrap(),
                Unit::Utf16,
            )
        }
        "discord.footer" => {
            let s = long(3000);
            let p = discord_payload(&Message::new("t").context_line(s.clone()));
            cut_text(
                &s,
                p["embeds"][0]["footer"]["text"].as_str().unwrap(),
                Unit::Utf16,
            )
        }
        "discord.total" => {
            let mut msg = Message::new("t").text("d".repeat(4000));
            for i in 0..20 {
                msg = msg.field(format!("k{i}"), "v".repeat(1000));
            }
            let p = discord_payload(&msg);
            let f = p["embeds"][0]["fields"].as_array().unwrap();
            let real = f.iter().filter(|f| f["name"] != "…").count();
            let last = f.last().unwrap()["value"].as_str().unwrap();
            Outcome {
                input: 4000 + 20 * 1003,
                output: crate::message::discord::embed_total(&p),
                says: real < 20 && more_count(last) == Some(20 - real),
            }
        }
        _ => return None,
    })
}

#[test]
fn every_field_over_its_limit_comes_out_within_it_and_says_so() {
    let mut checked = 0;
    for l in ALL {
        let o = case(l.id).unwrap_or_else(|| panic!("no case for {}", l.id));
        assert!(
            o.input > l.max,
            "{}: the input ({}) must be over the limit ({})",
            l.id,
            o.input,
            l.max
        );
        assert!(
            o.output <= l.max,
            "{}: {} sent, the limit is {}",
            l.id,
            o.output,
            l.max
        );
        assert!(
            o.says,
            "{}: the result does not say what was left out",
            l.id
        );
        checked += 1;
    }
    assert_eq!(checked, ALL.len());
}

#[test]
fn ids_are_unique_and_rows_render() {
    let mut ids: Vec<&str> = ALL.iter().map(|l| l.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), ALL.len());
    assert_eq!(markdown_rows().len(), ALL.len());
    assert!(markdown_rows()[0].contains("125,000"));
    assert!(find("slack.header").is_some_and(|l| l.max == 150));
}

#[test]
fn one_truncation_rule() {
    use crate::text::{fit_list, truncate, truncate_keeping_markers};
    // Characters, UTF-16 units and bytes; never half a character.
    assert_eq!(truncate("abcd", 3, Unit::Chars), "ab…");
    assert_eq!(truncate("😀😀😀", 4, Unit::Utf16), "😀…");
    assert_eq!(truncate("ééé", 5, Unit::Bytes), "é…");
    // Never half an escape or entity.
    assert_eq!(truncate("ab\\*cd", 4, Unit::Chars), "ab…");
    assert_eq!(truncate("a\\\\bcd", 4, Unit::Chars), "a\\\\…");
    assert_eq!(truncate("a&amp;b", 5, Unit::Chars), "a…");
    assert_eq!(truncate("a & b c", 5, Unit::Chars), "a & …");
    // Lists: whole entries, `… and N more`, the tail kept.
    let entries: Vec<String> = (0..10).map(|i| format!("- entry {i}")).collect();
    let f = fit_list("## Changes", &entries, "[compare](u)", 60, Unit::Chars);
    assert!(f.text.chars().count() <= 60, "{}", f.text);
    assert!(f.omitted > 0);
    assert!(f.text.contains(&more_line(f.omitted)), "{}", f.text);
    assert!(f.text.ends_with("[compare](u)"));
    assert_eq!(
        f.text.lines().filter(|l| l.starts_with("- ")).count(),
        10 - f.omitted
    );
    let all = fit_list("h", &entries, "t", 10_000, Unit::Chars);
    assert_eq!(all.omitted, 0);
    assert!(!all.text.contains("more"));
    let tiny = fit_list("a long head line", &entries, "", 8, Unit::Chars);
    assert!(tiny.text.chars().count() <= 8);
    // Bodies keep their marker lines.
    let body = format!("{}\n<!-- m1 -->\n<!-- m2 -->\n", "x".repeat(500));
    let cut = truncate_keeping_markers(&body, 200);
    assert!(cut.chars().count() <= 200, "{cut}");
    assert!(
        cut.trim_end().ends_with("<!-- m1 -->\n<!-- m2 -->"),
        "{cut}"
    );
    assert_eq!(truncate_keeping_markers("short", 200), "short");
}
