//! The plan: per alert key, `create`, `update` (with the field diff),
//! `delete` (only with prune, only managed objects) or `unchanged`, and the
//! writes that carry it out — monitors before the alerts that reference
//! them, deletes of alerts before their monitors.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};

use super::compile::Desired;
use super::normalize::{self, FieldDiff};
use super::{managed_detector_key, managed_workflow_key};

/// A monitor as listed by Sentry, with the project it was listed under.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteDetector {
    /// Sentry's id.
    pub id: String,
    /// The project slug it belongs to.
    pub project: String,
    /// The object as Sentry returned it.
    pub body: Value,
}

/// An alert (workflow) as listed by Sentry.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteWorkflow {
    /// Sentry's id.
    pub id: String,
    /// The object as Sentry returned it.
    pub body: Value,
}

/// What happens to one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Monitor and alert are created.
    Create,
    /// Monitor and/or alert are changed (see the diff).
    Update,
    /// Monitor and alert are deleted (`--prune`; managed only).
    Delete,
    /// Sentry already holds what the file says.
    Unchanged,
}

impl Action {
    /// The lowercase name (`create`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Unchanged => "unchanged",
        }
    }
}

/// The monitor an alert must reference.
#[derive(Clone, Debug, PartialEq)]
pub enum DetectorRef {
    /// An existing monitor's id.
    Existing(String),
    /// The monitor created for the same key earlier in this apply.
    New,
}

/// One write.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `POST .../projects/{project}/detectors/`.
    CreateDetector {
        /// The alert key.
        key: String,
        /// The project slug.
        project: String,
        /// The body.
        body: Value,
    },
    /// `PUT .../detectors/{id}/`.
    UpdateDetector {
        /// The alert key.
        key: String,
        /// Sentry's id.
        id: String,
        /// The body.
        body: Value,
    },
    /// `DELETE .../detectors/{id}/`.
    DeleteDetector {
        /// The alert key.
        key: String,
        /// Sentry's id.
        id: String,
    },
    /// `POST .../workflows/` (its `detectorIds` filled from `detector`).
    CreateWorkflow {
        /// The alert key.
        key: String,
        /// The body.
        body: Value,
        /// The monitor it references.
        detector: DetectorRef,
    },
    /// `PUT .../workflows/{id}/`.
    UpdateWorkflow {
        /// The alert key.
        key: String,
        /// Sentry's id.
        id: String,
        /// The body.
        body: Value,
        /// The monitor it references.
        detector: DetectorRef,
    },
    /// `DELETE .../workflows/{id}/`.
    DeleteWorkflow {
        /// The alert key.
        key: String,
        /// Sentry's id.
        id: String,
    },
}

impl Op {
    fn rank(&self) -> u8 {
        match self {
            Op::CreateDetector { .. } | Op::UpdateDetector { .. } => 0,
            Op::CreateWorkflow { .. } | Op::UpdateWorkflow { .. } => 1,
            Op::DeleteWorkflow { .. } => 2,
            Op::DeleteDetector { .. } => 3,
        }
    }
}

/// The change of one key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// The alert key.
    pub key: String,
    /// What happens.
    pub action: Action,
    /// The changed fields (`monitor.…`, `alert.…`); for a create every field
    /// with `from: null`, for a delete every field with `to: null`.
    pub diff: Vec<FieldDiff>,
    /// The writes, in the order they are sent.
    #[serde(skip)]
    pub ops: Vec<Op>,
}

/// The whole plan.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    /// One entry per key: the file's keys in file order, then deletes.
    pub changes: Vec<Change>,
    /// Things to know that change nothing (duplicates, leftovers without --prune).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Plan {
    /// True when at least one write is pending.
    pub fn pending(&self) -> bool {
        self.changes.iter().any(|c| !c.ops.is_empty())
    }

    /// Every write in the order to send it: monitor creates and updates,
    /// then alert creates and updates, then alert deletes, then monitor deletes.
    pub fn ops(&self) -> Vec<&Op> {
        let mut ops: Vec<&Op> = self.changes.iter().flat_map(|c| &c.ops).collect();
        ops.sort_by_key(|o| o.rank());
        ops
    }

    /// How many keys per action: (create, update, delete, unchanged).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let count = |a| self.changes.iter().filter(|c| c.action == a).count();
        (
            count(Action::Create),
            count(Action::Update),
            count(Action::Delete),
            count(Action::Unchanged),
        )
    }
}

fn id_order(id: &str) -> (u128, String) {
    (id.parse().unwrap_or(u128::MAX), id.to_string())
}

/// Managed objects by key, oldest (lowest id) first; unmanaged ones are left out.
fn by_key<'a, T>(
    items: &'a [T],
    key: impl Fn(&'a T) -> Option<&'a str>,
    id: impl Fn(&T) -> &str,
) -> BTreeMap<&'a str, Vec<&'a T>> {
    let mut map: BTreeMap<&str, Vec<&T>> = BTreeMap::new();
    for item in items {
        if let Some(k) = key(item) {
            map.entry(k).or_default().push(item);
        }
    }
    for list in map.values_mut() {
        list.sort_by_key(|x| id_order(id(x)));
    }
    map
}

fn detector_key(d: &RemoteDetector) -> Option<&str> {
    managed_detector_key(
        d.body["name"].as_str().unwrap_or(""),
        d.body["description"].as_str(),
    )
}

fn workflow_key(w: &RemoteWorkflow) -> Option<&str> {
    managed_workflow_key(w.body["name"].as_str().unwrap_or(""))
}

fn with_detector(body: &Value, id: &str) -> Value {
    let mut b = body.clone();
    b["detectorIds"] = json!([id]);
    b
}

/// Compare the file (`desired`) with Sentry (`detectors`, `workflows`) and
/// plan. Only managed objects count; with `prune`, managed objects whose
/// key left the file are deleted.
pub fn plan(
    desired: &[Desired],
    detectors: &[RemoteDetector],
    workflows: &[RemoteWorkflow],
    prune: bool,
) -> Plan {
    let dets = by_key(detectors, detector_key, |d| &d.id);
    let wfs = by_key(workflows, workflow_key, |w| &w.id);
    let mut out = Plan::default();
    for (key, list) in &dets {
        if list.len() > 1 {
            out.warnings.push(format!(
                "{} managed monitors carry the key {key} (ids {}): obsctl manages the oldest, {}; delete the others in Sentry",
                list.len(),
                list.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", "),
                list[0].id
            ));
        }
    }
    let wanted: BTreeSet<&str> = desired.iter().map(|d| d.key.as_str()).collect();
    for d in desired {
        out.changes.push(one_key(
            d,
            dets.get(d.key.as_str()).map(|l| l[0]),
            wfs.get(d.key.as_str()).map(|l| l[0]),
        ));
    }
    // Alerts are listed for the whole organization: a managed alert whose
    // key left the file is ours to delete only when it references a monitor
    // of our projects (other repositories manage theirs with their own file).
    let ours: BTreeSet<&str> = detectors.iter().map(|d| d.id.as_str()).collect();
    let references_ours = |w: &RemoteWorkflow| {
        w.body["detectorIds"].as_array().is_some_and(|ids| {
            ids.iter().any(|i| match i {
                Value::String(s) => ours.contains(s.as_str()),
                other => ours.contains(other.to_string().as_str()),
            })
        })
    };
    let leftover: BTreeSet<&str> = dets
        .keys()
        .copied()
        .chain(
            wfs.iter()
                .filter(|(_, list)| list.iter().any(|w| references_ours(w)))
                .map(|(k, _)| *k),
        )
        .filter(|k| !wanted.contains(k))
        .collect();
    if prune {
        for key in leftover {
            let mut change = Change {
                key: key.to_string(),
                action: Action::Delete,
                diff: Vec::new(),
                ops: Vec::new(),
            };
            for w in wfs.get(key).into_iter().flatten() {
                change.diff.extend(normalize::diff(
                    "alert.",
                    &normalize::workflow(&w.body),
                    &Value::Null,
                ));
                change.ops.push(Op::DeleteWorkflow {
                    key: key.into(),
                    id: w.id.clone(),
                });
            }
            for d in dets.get(key).into_iter().flatten() {
                change.diff.extend(normalize::diff(
                    "monitor.",
                    &normalize::detector(&d.body),
                    &Value::Null,
                ));
                change.ops.push(Op::DeleteDetector {
                    key: key.into(),
                    id: d.id.clone(),
                });
            }
            out.changes.push(change);
        }
    } else if !leftover.is_empty() {
        out.warnings.push(format!(
            "{} managed key(s) no longer in obsctl.toml: {} (`--prune` deletes their monitors and alerts)",
            leftover.len(),
            leftover.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    out
}

fn one_key(d: &Desired, det: Option<&RemoteDetector>, wf: Option<&RemoteWorkflow>) -> Change {
    let key = d.key.clone();
    let mut diff = Vec::new();
    let mut ops = Vec::new();
    let want_det = normalize::detector(&d.detector);
    let (action, dref) = match det {
        None => {
            diff.extend(normalize::diff("monitor.", &Value::Null, &want_det));
            ops.push(Op::CreateDetector {
                key: key.clone(),
                project: d.project.clone(),
                body: d.detector.clone(),
            });
            (Action::Create, DetectorRef::New)
        }
        Some(r) => {
            let have = normalize::detector(&r.body);
            let recreate = r.project != d.project || have["type"] != want_det["type"];
            if recreate {
                // Sentry cannot move a monitor to another project or change its type.
                diff.push(FieldDiff {
                    field: "monitor.project".into(),
                    from: json!(r.project),
                    to: json!(d.project),
                });
                diff.extend(normalize::diff("monitor.", &have, &want_det));
                ops.push(Op::CreateDetector {
                    key: key.clone(),
                    project: d.project.clone(),
                    body: d.detector.clone(),
                });
                ops.push(Op::DeleteDetector {
                    key: key.clone(),
                    id: r.id.clone(),
                });
                (Action::Update, DetectorRef::New)
            } else {
                let fields = normalize::diff("monitor.", &have, &want_det);
                if !fields.is_empty() {
                    ops.push(Op::UpdateDetector {
                        key: key.clone(),
                        id: r.id.clone(),
                        body: d.detector.clone(),
                    });
                }
                diff.extend(fields);
                (Action::Unchanged, DetectorRef::Existing(r.id.clone()))
            }
        }
    };
    let shown_id = match &dref {
        DetectorRef::Existing(id) => id.clone(),
        DetectorRef::New => "(new)".into(),
    };
    let want_wf = normalize::workflow(&with_detector(&d.workflow, &shown_id));
    match wf {
        None => {
            diff.extend(normalize::diff("alert.", &Value::Null, &want_wf));
            ops.push(Op::CreateWorkflow {
                key: key.clone(),
                body: d.workflow.clone(),
                detector: dref,
            });
        }
        Some(w) => {
            let fields = normalize::diff("alert.", &normalize::workflow(&w.body), &want_wf);
            if !fields.is_empty() {
                ops.push(Op::UpdateWorkflow {
                    key: key.clone(),
                    id: w.id.clone(),
                    body: d.workflow.clone(),
                    detector: dref,
                });
            }
            diff.extend(fields);
        }
    }
    let action = match action {
        Action::Unchanged if !ops.is_empty() => Action::Update,
        a => a,
    };
    Change {
        key,
        action,
        diff,
        ops,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::compile::{Target, compile_all};
    use crate::alerts::lint::lint;

    const CONFIG: &str = r#"
[[service]]
name = "web"

[[alert]]
key = "web-error-rate"
service = "web"
kind = "error-rate"
threshold = 0.01
window = "5m"
severity = "critical"

[[alert]]
key = "web-p95"
service = "web"
kind = "p95-latency"
threshold = 1000
window = "5m"
severity = "warning"
"#;

    fn desired(src: &str) -> Vec<Desired> {
        let c = lint("o.toml", src).unwrap();
        compile_all(&c, |_, _, _| vec![Target::EmailOwners]).unwrap()
    }

    /// What Sentry would hold after applying `d` (ids 100+i / 200+i).
    fn remote(d: &[Desired]) -> (Vec<RemoteDetector>, Vec<RemoteWorkflow>) {
        let mut dets = Vec::new();
        let mut wfs = Vec::new();
        for (i, x) in d.iter().enumerate() {
            let did = format!("{}", 100 + i);
            let mut body = x.detector.clone();
            body["id"] = json!(did);
            dets.push(RemoteDetector {
                id: did.clone(),
                project: x.project.clone(),
                body,
            });
            let wid = format!("{}", 200 + i);
            let mut wb = with_detector(&x.workflow, &did);
            wb["id"] = json!(wid);
            wfs.push(RemoteWorkflow { id: wid, body: wb });
        }
        (dets, wfs)
    }

    #[test]
    fn empty_remote_creates_monitors_before_alerts() {
        let d = desired(CONFIG);
        let p = plan(&d, &[], &[], false);
        assert_eq!(p.counts(), (2, 0, 0, 0));
        let ranks: Vec<u8> = p.ops().iter().map(|o| o.rank()).collect();
        assert_eq!(ranks, [0, 0, 1, 1]);
        assert!(p.pending());
    }

    #[test]
    fn in_sync_is_unchanged_and_a_threshold_is_one_update() {
        let d = desired(CONFIG);
        let (dets, wfs) = remote(&d);
        let p = plan(&d, &dets, &wfs, true);
        assert_eq!(p.counts(), (0, 0, 0, 2), "{p:#?}");
        assert!(!p.pending());
        let changed = desired(&CONFIG.replace("threshold = 1000", "threshold = 1500"));
        let p = plan(&changed, &dets, &wfs, true);
        assert_eq!(p.counts(), (0, 1, 0, 1));
        let c = &p.changes[1];
        // The threshold (the resolve threshold defaults to it) and the monitor's name.
        assert_eq!(c.diff.len(), 3, "{:?}", c.diff);
        assert!(
            c.diff
                .iter()
                .any(|f| f.field == "monitor.conditions[0].comparison")
        );
        assert!(matches!(&c.ops[..], [Op::UpdateDetector { id, .. }] if id == "101"));
    }

    #[test]
    fn prune_deletes_only_managed_and_only_with_prune() {
        let all = desired(CONFIG);
        let (mut dets, mut wfs) = remote(&all);
        // An unmanaged monitor with the same name, and a UI copy (marker, new name).
        let mut same_name = dets[1].body.clone();
        same_name["description"] = json!("clicked together");
        dets.push(RemoteDetector {
            id: "900".into(),
            project: "web".into(),
            body: same_name,
        });
        let mut copy = dets[1].body.clone();
        copy["name"] = json!("web: p95 > 1s (5m) copy");
        dets.push(RemoteDetector {
            id: "901".into(),
            project: "web".into(),
            body: copy,
        });
        let mut wf_copy = wfs[1].body.clone();
        wf_copy["name"] = json!("Copy of alert obsctl:key=web-p95");
        wfs.push(RemoteWorkflow {
            id: "902".into(),
            body: wf_copy,
        });
        let only_rate = desired(CONFIG.split("[[alert]]\nkey = \"web-p95\"").next().unwrap());
        let p = plan(&only_rate, &dets, &wfs, false);
        assert!(!p.pending());
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("web-p95") && w.contains("--prune"))
        );
        let p = plan(&only_rate, &dets, &wfs, true);
        assert_eq!(p.counts(), (0, 0, 1, 1));
        let ops = p.ops();
        assert_eq!(ops.len(), 2);
        assert!(matches!(ops[0], Op::DeleteWorkflow { id, .. } if id == "201"));
        assert!(matches!(ops[1], Op::DeleteDetector { id, .. } if id == "101"));
    }

    #[test]
    fn prune_leaves_other_projects_alerts_alone() {
        let d = desired(CONFIG);
        let (dets, mut wfs) = remote(&d);
        // Another repository's managed alert on a monitor of another project.
        let mut other = wfs[0].body.clone();
        other["name"] = json!("[obsctl] api: error-rate (critical) · obsctl:key=api-error-rate");
        other["detectorIds"] = json!(["777"]);
        wfs.push(RemoteWorkflow {
            id: "300".into(),
            body: other,
        });
        let p = plan(&d, &dets, &wfs, true);
        assert!(!p.pending(), "{p:#?}");
        // A stale managed alert on one of our monitors is deleted.
        let mut stale = wfs[0].body.clone();
        stale["name"] = json!("[obsctl] web: old · obsctl:key=web-old");
        wfs.push(RemoteWorkflow {
            id: "301".into(),
            body: stale,
        });
        let p = plan(&d, &dets, &wfs, true);
        assert_eq!(p.counts(), (0, 0, 1, 2));
        assert!(matches!(p.ops()[..], [Op::DeleteWorkflow { id, .. }] if id == "301"));
    }

    #[test]
    fn a_missing_alert_is_recreated_on_the_existing_monitor() {
        let d = desired(CONFIG);
        let (dets, mut wfs) = remote(&d);
        wfs.remove(0);
        let p = plan(&d, &dets, &wfs, false);
        assert_eq!(p.changes[0].action, Action::Update);
        assert!(
            matches!(&p.changes[0].ops[..], [Op::CreateWorkflow { detector: DetectorRef::Existing(id), .. }] if id == "100")
        );
    }

    #[test]
    fn json_shape() {
        let p = plan(&desired(CONFIG), &[], &[], false);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["changes"][0]["key"], "web-error-rate");
        assert_eq!(v["changes"][0]["action"], "create");
        assert!(
            v["changes"][0]["diff"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == "monitor.query.aggregate" && f["to"] == "failure_rate()")
        );
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn symbol(a: Action) -> &'static str {
    match a {
        Action::Create => "+",
        Action::Update => "~",
        Action::Delete => "-",
        Action::Unchanged => "=",
    }
}

impl Plan {
    /// The one-line total: `2 to create, 1 to update, 0 to delete, 3 unchanged`.
    pub fn summary(&self) -> String {
        let (c, u, d, n) = self.counts();
        format!("{c} to create, {u} to update, {d} to delete, {n} unchanged")
    }

    /// The plan as text: one line per key, the changed fields of updates
    /// under it (creates and deletes show their monitor's name only).
    pub fn render_text(&self) -> String {
        let width = self.changes.iter().map(|c| c.key.len()).max().unwrap_or(0);
        let mut out = format!("alerts plan: {}\n", self.summary());
        for c in &self.changes {
            out.push_str(&format!(
                "  {} {:width$}  {}",
                symbol(c.action),
                c.key,
                c.action.as_str()
            ));
            let name = c.diff.iter().find(|f| f.field == "monitor.name");
            match (c.action, name) {
                (Action::Create, Some(f)) => out.push_str(&format!("  {}", shown(&f.to))),
                (Action::Delete, Some(f)) => out.push_str(&format!("  {}", shown(&f.from))),
                _ => {}
            }
            out.push('\n');
            if c.action == Action::Update {
                for f in &c.diff {
                    out.push_str(&format!(
                        "      {}: {} → {}\n",
                        f.field,
                        shown(&f.from),
                        shown(&f.to)
                    ));
                }
            }
        }
        out
    }

    /// The plan as a Markdown table for the Actions step summary (untrusted
    /// text escaped: `|` and backticks cannot break the table).
    pub fn render_markdown(&self, title: &str) -> String {
        let esc = |s: &str| s.replace('|', "\\|").replace('`', "'").replace('\n', " ");
        let mut out = format!(
            "### {}\n\n{}\n\n| key | action | changes |\n|---|---|---|\n",
            esc(title),
            self.summary()
        );
        for c in &self.changes {
            let changes = match c.action {
                Action::Update => c
                    .diff
                    .iter()
                    .map(|f| format!("{}: {} → {}", f.field, shown(&f.from), shown(&f.to)))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                _ => String::new(),
            };
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                esc(&c.key),
                c.action.as_str(),
                esc(&changes)
            ));
        }
        out
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;

    #[test]
    fn text_and_markdown() {
        let p = Plan {
            changes: vec![
                Change {
                    key: "web-p95".into(),
                    action: Action::Update,
                    diff: vec![FieldDiff {
                        field: "monitor.conditions[0].comparison".into(),
                        from: json!(1000),
                        to: json!(1500),
                    }],
                    ops: vec![],
                },
                Change {
                    key: "a|b".into(),
                    action: Action::Unchanged,
                    diff: vec![],
                    ops: vec![],
                },
            ],
            warnings: vec![],
        };
        let t = p.render_text();
        assert!(
            t.starts_with("alerts plan: 0 to create, 1 to update, 0 to delete, 1 unchanged\n"),
            "{t}"
        );
        assert!(
            t.contains(
                "  ~ web-p95  update\n      monitor.conditions[0].comparison: 1000 → 1500\n"
            ),
            "{t}"
        );
        let md = p.render_markdown("Sentry alerts plan");
        assert!(md.contains("| a\\|b | unchanged |  |"), "{md}");
    }
}
