//! The metric engine: pure, no I/O. [`analyze`] orders and classifies the
//! deployments, asks a [`ChangeSource`] for each successful deployment's
//! changes, computes lead times, attributes incidents and measures
//! recoveries; [`metrics`] then reads one window out of the analysis (so that
//! `--compare-previous` costs nothing more). The definitions are the ones in
//! docs/dora-report.md: they are the contract.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::{ChangeSet, Deployment, Incident, Outcome};

/// Engine switches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Apache DevLake compatibility: every duration is rounded up to whole
    /// minutes, and an incident belongs to the last successful deployment
    /// strictly before it (`<`, not `≤`).
    pub devlake: bool,
    /// The source records no failures at all (git tags without an
    /// incidents file): change failure rate and recovery time are `null`,
    /// never 0, and [`Diagnostic::NoFailureData`] says why.
    pub no_failure_data: bool,
}

/// The window [since, until), UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Start, inclusive.
    pub since: DateTime<Utc>,
    /// End, exclusive.
    pub until: DateTime<Utc>,
}

impl Window {
    /// Whether `t` falls in `[since, until)`.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.since <= t && t < self.until
    }

    /// Length in days (fractional).
    pub fn days(&self) -> f64 {
        (self.until - self.since).num_milliseconds() as f64 / 86_400_000.0
    }

    /// The preceding window of equal length.
    pub fn previous(&self) -> Window {
        Window {
            since: self.since - (self.until - self.since),
            until: self.since,
        }
    }
}

/// Where change sets come from: local git in production, an in-memory graph
/// or a table in tests.
pub trait ChangeSource {
    /// Called once for every successful deployment, in deploy-time order.
    /// `earlier` holds the distinct SHAs of the earlier successful
    /// deployments, oldest first. The answer is the commits reachable from
    /// `sha` and from none of `earlier`. When `wanted` is false the changes
    /// are not needed (a seed, or a deployment before the window): the source
    /// may only record `sha` as deployed and answer `Known(vec![])`.
    fn changes(&mut self, sha: &str, earlier: &[String], wanted: bool) -> ChangeSet;

    /// Called once before the first [`ChangeSource::changes`], with every
    /// successful deployment in the same order as the calls that follow:
    /// its SHA and whether its changes are wanted. A source may compute all
    /// change sets at once here (local git: one walk bounded by the window);
    /// the default does nothing.
    fn prepare(&mut self, _successes: &[(&str, bool)]) {}
}

impl<F: FnMut(&str, &[String], bool) -> ChangeSet> ChangeSource for F {
    fn changes(&mut self, sha: &str, earlier: &[String], wanted: bool) -> ChangeSet {
        self(sha, earlier, wanted)
    }
}

/// How the changes of a successful deployment are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeState {
    /// Failed deployments ship nothing.
    NotApplicable,
    /// No earlier successful deployment: counted for frequency only.
    Seed,
    /// Before the analysed range: not asked for.
    NotNeeded,
    /// Every commit between the previous successful deployment and this one is known.
    Known,
    /// Shallow clone boundary reached: the count is a lower bound and no lead
    /// time is taken from it.
    Truncated,
    /// The deployed commit is not in the local clone.
    Missing,
    /// No earlier deployment's commit is in the clone: changes unknown.
    Unbounded,
}

/// One change of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipped {
    /// The full SHA of the commit.
    pub sha: String,
    /// Seconds from authoring to deployment; `None` when it does not enter the lead time.
    pub lead_time: Option<i64>,
}

/// A failure's recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Not a failure.
    None,
    /// Recovered after this many seconds (to the next successful deployment or incident resolution).
    Recovered(i64),
    /// Not recovered within the data.
    Unrecovered,
}

/// One classified deployment.
#[derive(Clone, Debug)]
pub struct Record {
    /// The deployment id (GitHub deployment id or tag name).
    pub id: String,
    /// The deployed commit.
    pub sha: String,
    /// Success or failure.
    pub outcome: Outcome,
    /// Deploy time (first success) or failure time.
    pub time: DateTime<Utc>,
    /// How its changes are known.
    pub change_state: ChangeState,
    /// The previous successful deployment (index into the records).
    pub prev_success: Option<usize>,
    /// The changes (known or truncated sets), with the lead time each one
    /// entered (`None`: a merge, negative, or a truncated set).
    pub commits: Vec<Shipped>,
    /// Lead times in seconds of the changes that enter the lead time, sorted.
    pub lead_times: Vec<i64>,
    /// Merge commits left out of the lead time.
    pub merges_excluded: u64,
    /// Commits authored after their deployment, left out of the lead time.
    pub negative_lead_times: u64,
    /// Indices into [`Analysis::incidents`].
    pub incidents: Vec<usize>,
    /// The failure's recovery (`None` for a success).
    pub recovery: Recovery,
    /// Deployment rework: made while an earlier deployment was failed and
    /// not yet recovered, or had an open incident ([`rework_flags`]).
    pub rework: bool,
}

impl Record {
    /// Whether the deployment succeeded.
    pub fn is_success(&self) -> bool {
        self.outcome == Outcome::Success
    }

    /// Number of changes, when known.
    pub fn changes(&self) -> Option<usize> {
        match self.change_state {
            ChangeState::Known => Some(self.commits.len()),
            _ => None,
        }
    }

    /// Median lead time of its changes, in seconds.
    pub fn median_lead_time(&self) -> Option<f64> {
        percentile(&self.lead_times, 0.5)
    }
}

#[derive(Clone, Debug)]
/// An incident with the deployment it is attributed to.
pub struct AttributedIncident {
    /// The incident as read from the source.
    pub incident: Incident,
    /// Index into [`Analysis::records`].
    pub deployment: Option<usize>,
    /// It named a deployment or SHA that is not known; attributed by time.
    pub unknown_reference: bool,
}

#[derive(Clone, Debug)]
/// Every deployment classified, every incident attributed: what [`metrics`] reads windows out of.
pub struct Analysis {
    /// The options the analysis ran with.
    pub options: Options,
    /// Successful and failed deployments in deploy-time order.
    pub records: Vec<Record>,
    /// Creation times of deployments with neither outcome.
    pub excluded: Vec<DateTime<Utc>>,
    /// Incidents with their attribution.
    pub incidents: Vec<AttributedIncident>,
}

/// A duration in seconds, rounded up to whole minutes in DevLake mode.
fn span(opts: &Options, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let ms = (to - from).num_milliseconds();
    if opts.devlake {
        // ceil(ms / 60000) * 60, also right for negatives.
        (ms.div_euclid(60_000) + i64::from(ms.rem_euclid(60_000) != 0)) * 60
    } else {
        ms.div_euclid(1000)
    }
}

/// Classify, order and measure. Change sets are asked for the successful
/// deployments from `need_from` on (earlier ones are only recorded as
/// deployed).
pub fn analyze(
    deployments: &[Deployment],
    incidents: &[Incident],
    options: Options,
    need_from: DateTime<Utc>,
    source: &mut dyn ChangeSource,
) -> Analysis {
    let mut excluded = Vec::new();
    let mut classified: Vec<(DateTime<Utc>, DateTime<Utc>, &Deployment, Outcome)> = Vec::new();
    for d in deployments {
        match d.outcome() {
            Some((outcome, time)) => classified.push((time, d.created_at, d, outcome)),
            None => excluded.push(d.created_at),
        }
    }
    classified.sort_by(|a, b| (a.0, a.1, &a.2.id).cmp(&(b.0, b.1, &b.2.id)));

    // The same seed / wanted decisions as the loop below, told upfront.
    let mut any_success = false;
    let plan: Vec<(&str, bool)> = classified
        .iter()
        .filter(|c| c.3 == Outcome::Success)
        .map(|(time, _, d, _)| {
            let wanted = any_success && *time >= need_from;
            any_success = true;
            (d.sha.as_str(), wanted)
        })
        .collect();
    source.prepare(&plan);

    let mut earlier: Vec<String> = Vec::new();
    let mut earlier_set: HashSet<String> = HashSet::new();
    let mut records = Vec::with_capacity(classified.len());
    let mut last_success: Option<usize> = None;
    for (time, _, d, outcome) in classified {
        let mut rec = Record {
            id: d.id.clone(),
            sha: d.sha.clone(),
            outcome,
            time,
            change_state: ChangeState::NotApplicable,
            prev_success: None,
            commits: Vec::new(),
            lead_times: Vec::new(),
            merges_excluded: 0,
            negative_lead_times: 0,
            incidents: Vec::new(),
            recovery: Recovery::None,
            rework: false,
        };
        if outcome == Outcome::Success {
            let seed = earlier.is_empty();
            let wanted = !seed && time >= need_from;
            let set = source.changes(&d.sha, &earlier, wanted);
            rec.change_state = match (seed, wanted) {
                (true, _) => ChangeState::Seed,
                (false, false) => ChangeState::NotNeeded,
                (false, true) => match set {
                    ChangeSet::Known(changes) => {
                        rec.commits.reserve(changes.len());
                        for c in changes {
                            let mut lead_time = None;
                            if c.is_merge {
                                rec.merges_excluded += 1;
                            } else {
                                let lt = span(&options, c.author_time, time);
                                if lt < 0 {
                                    rec.negative_lead_times += 1;
                                } else {
                                    rec.lead_times.push(lt);
                                    lead_time = Some(lt);
                                }
                            }
                            rec.commits.push(Shipped {
                                sha: c.sha,
                                lead_time,
                            });
                        }
                        rec.lead_times.sort_unstable();
                        ChangeState::Known
                    }
                    ChangeSet::Truncated(changes) => {
                        rec.commits = changes
                            .into_iter()
                            .map(|c| Shipped {
                                sha: c.sha,
                                lead_time: None,
                            })
                            .collect();
                        ChangeState::Truncated
                    }
                    ChangeSet::Missing => ChangeState::Missing,
                    ChangeSet::Unbounded => ChangeState::Unbounded,
                },
            };
            rec.prev_success = last_success;
            last_success = Some(records.len());
            if earlier_set.insert(d.sha.clone()) {
                earlier.push(d.sha.clone());
            }
        }
        records.push(rec);
    }

    // A failed deployment recovers at the next successful deployment.
    let mut next_success: Option<DateTime<Utc>> = None;
    for rec in records.iter_mut().rev() {
        match rec.outcome {
            Outcome::Success => next_success = Some(rec.time),
            Outcome::Failure => {
                rec.recovery = match next_success {
                    Some(t) => Recovery::Recovered(span(&options, rec.time, t)),
                    None => Recovery::Unrecovered,
                }
            }
        }
    }

    // Incident attribution.
    let successes: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].is_success())
        .collect();
    let mut attributed = Vec::with_capacity(incidents.len());
    for inc in incidents {
        let mut unknown_reference = false;
        let mut target = None;
        if let Some(name) = inc
            .deployment
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            target = find_named(&records, &successes, name, inc.created_at);
            unknown_reference = target.is_none();
        }
        if target.is_none() {
            let n = successes.partition_point(|&i| {
                if options.devlake {
                    records[i].time < inc.created_at
                } else {
                    records[i].time <= inc.created_at
                }
            });
            target = n.checked_sub(1).map(|k| successes[k]);
        }
        if let Some(i) = target {
            records[i].incidents.push(attributed.len());
        }
        attributed.push(AttributedIncident {
            incident: inc.clone(),
            deployment: target,
            unknown_reference,
        });
    }
    // A successful deployment with incidents recovers when its last incident
    // is resolved: from the earliest creation to the latest resolution.
    for rec in records.iter_mut().filter(|r| !r.incidents.is_empty()) {
        let first = rec
            .incidents
            .iter()
            .map(|&k| attributed[k].incident.created_at)
            .min()
            .expect("non-empty");
        let last: Option<Vec<DateTime<Utc>>> = rec
            .incidents
            .iter()
            .map(|&k| attributed[k].incident.resolved_at)
            .collect();
        rec.recovery = match last.and_then(|v| v.into_iter().max()) {
            Some(end) => Recovery::Recovered(span(&options, first, end).max(0)),
            None => Recovery::Unrecovered,
        };
    }

    let mut analysis = Analysis {
        options,
        records,
        excluded,
        incidents: attributed,
    };
    let flags = rework_flags(&analysis.records, &analysis.incidents);
    for (rec, flag) in analysis.records.iter_mut().zip(flags) {
        rec.rework = flag;
    }
    analysis
}

/// Deployment rework (DORA's fifth software-delivery metric, 2024), per
/// record: a deployment is rework when it is made while an earlier
/// deployment of the environment is failed and not yet recovered (up to and
/// including the deployment that recovers it), or while an incident
/// attributed to an earlier deployment is open (created at or before it,
/// resolved at or after it, or still open). Times are compared to the
/// second; "earlier" is the deploy-time order of the records.
pub fn rework_flags(records: &[Record], incidents: &[AttributedIncident]) -> Vec<bool> {
    let t = |r: &Record| r.time.timestamp();
    // The latest time until which an earlier failed deployment stays
    // unrecovered (`i64::MAX`: never recovered): one pass, not a scan of
    // every earlier record per record.
    let mut failed_until: Option<i64> = None;
    records
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let at = t(d);
            let failed_open = failed_until.is_some_and(|until| until >= at);
            if d.outcome == Outcome::Failure {
                let until = match d.recovery {
                    Recovery::Recovered(s) => Some(t(d) + s),
                    Recovery::Unrecovered => Some(i64::MAX),
                    Recovery::None => None,
                };
                failed_until = failed_until.max(until);
            }
            let incident_open = incidents.iter().any(|inc| {
                inc.deployment.is_some_and(|e| e < i)
                    && inc.incident.created_at.timestamp() <= at
                    && inc.incident.resolved_at.is_none_or(|r| r.timestamp() >= at)
            });
            failed_open || incident_open
        })
        .collect()
}

/// The successful deployment an incident names: by id, else by SHA (or an
/// unambiguous prefix of at least 7 characters): the last deployment of it at
/// or before the incident, else its first.
fn find_named(
    records: &[Record],
    successes: &[usize],
    name: &str,
    at: DateTime<Utc>,
) -> Option<usize> {
    if let Some(&i) = successes.iter().find(|&&i| records[i].id == name) {
        return Some(i);
    }
    let lower = name.to_ascii_lowercase();
    let matches: Vec<usize> = successes
        .iter()
        .copied()
        .filter(|&i| {
            let sha = records[i].sha.to_ascii_lowercase();
            sha == lower || (lower.len() >= 7 && sha.starts_with(&lower))
        })
        .collect();
    matches
        .iter()
        .rev()
        .find(|&&i| records[i].time <= at)
        .or(matches.first())
        .copied()
}

/// Whether deployments fetched newest first reach back far enough for the
/// change sets of a window starting at `since`: the last successful
/// deployment before `since`, and further back while that one was a
/// rollback (`is_rollback(newer_sha, older_sha)`: the newer deployment's
/// commit is a strict ancestor of the older one's), so that the first
/// deployment of the window is not credited with commits already shipped.
pub fn history_covers(
    fetched: &[Deployment],
    since: DateTime<Utc>,
    is_rollback: &mut dyn FnMut(&str, &str) -> bool,
) -> bool {
    let mut before: Vec<(DateTime<Utc>, &str)> = fetched
        .iter()
        .filter_map(|d| match d.outcome() {
            Some((Outcome::Success, t)) if t < since => Some((t, d.sha.as_str())),
            _ => None,
        })
        .collect();
    before.sort_by_key(|b| std::cmp::Reverse(b.0));
    before
        .windows(2)
        .any(|pair| !is_rollback(pair[0].1, pair[1].1))
}

/// numpy's default (`linear`) percentile of sorted values: linear
/// interpolation between the order statistics around rank (n−1)·q.
pub fn percentile(sorted: &[i64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (n - 1) as f64 * q;
    let lo = rank.floor() as usize;
    let hi = (rank.ceil() as usize).min(n - 1);
    let (a, b) = (sorted[lo] as f64, sorted[hi] as f64);
    let t = rank - lo as f64;
    // numpy's _lerp, exact at both ends.
    let diff = b - a;
    Some(if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    })
}

/// A DORA 2023 performance band.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    /// The best DORA band.
    Elite,
    /// The second band.
    High,
    /// The third band.
    Medium,
    /// The lowest band.
    Low,
}

impl Band {
    /// The lowercase name (`elite`, `high`, `medium`, `low`).
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Elite => "elite",
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        }
    }

    /// Elite ≥ 1 a day, high ≥ 1 a week, medium ≥ 1 per 30 days.
    pub fn frequency(deployments: u64, days: f64) -> Band {
        let n = deployments as f64;
        if n >= days {
            Band::Elite
        } else if n * 7.0 >= days {
            Band::High
        } else if n * 30.0 >= days {
            Band::Medium
        } else {
            Band::Low
        }
    }

    /// Elite < 1 day, high < 1 week, medium < 30 days.
    pub fn lead_time(seconds: f64) -> Band {
        const DAY: f64 = 86_400.0;
        if seconds < DAY {
            Band::Elite
        } else if seconds < 7.0 * DAY {
            Band::High
        } else if seconds < 30.0 * DAY {
            Band::Medium
        } else {
            Band::Low
        }
    }

    /// Elite ≤ 5 %, high ≤ 10 %, medium ≤ 15 % (exact, on the counts).
    pub fn change_failure(failed: u64, total: u64) -> Band {
        if failed * 100 <= 5 * total {
            Band::Elite
        } else if failed * 100 <= 10 * total {
            Band::High
        } else if failed * 100 <= 15 * total {
            Band::Medium
        } else {
            Band::Low
        }
    }

    /// Elite < 1 hour, high < 1 day, medium < 1 week.
    pub fn recovery(seconds: f64) -> Band {
        if seconds < 3_600.0 {
            Band::Elite
        } else if seconds < 86_400.0 {
            Band::High
        } else if seconds < 604_800.0 {
            Band::Medium
        } else {
            Band::Low
        }
    }
}

/// RFC 3339, UTC, whole seconds: `2024-05-01T12:00:00Z`.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Clone, Debug, PartialEq, Serialize)]
/// The window as RFC 3339 UTC strings.
pub struct WindowOut {
    /// Start, inclusive (`YYYY-MM-DDTHH:MM:SSZ`).
    pub since: String,
    /// End, exclusive (`YYYY-MM-DDTHH:MM:SSZ`).
    pub until: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
/// Deployment frequency: successful deployments in the window.
pub struct Frequency {
    /// Successful deployments in the window.
    pub deployments: u64,
    /// Per day; `null` when the source has no deployment at all.
    pub per_day: Option<f64>,
    /// Per week; `null` when the source has no deployment at all.
    pub per_week: Option<f64>,
    /// The DORA band; `null` without data.
    pub band: Option<Band>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
/// Lead time for changes: commit authored to deployed.
pub struct LeadTime {
    /// Median, in seconds.
    pub median_seconds: Option<f64>,
    /// 90th percentile, in seconds.
    pub p90_seconds: Option<f64>,
    /// Changes (commits) that entered the lead time.
    pub changes: u64,
    /// The DORA band of the median; `null` without data.
    pub band: Option<Band>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
/// Change failure rate: failed deployments over all deployments in the window.
pub struct ChangeFailureRate {
    /// Failed deployments.
    pub failed: u64,
    /// All deployments with an outcome.
    pub total: u64,
    /// `failed / total`, a ratio 0–1; `null` when `total` is 0.
    pub rate: Option<f64>,
    /// The DORA band; `null` without data.
    pub band: Option<Band>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
/// Failed deployment recovery time.
pub struct RecoveryTime {
    /// Median, in seconds.
    pub median_seconds: Option<f64>,
    /// Failed deployments in the window.
    pub failures: u64,
    /// Of those, the ones that recovered.
    pub recovered: u64,
    /// The DORA band of the median; `null` without data.
    pub band: Option<Band>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
/// Deployment rework rate (DORA, since 2024): rework deployments over all
/// deployments in the window ([`rework_flags`]).
pub struct ReworkRate {
    /// Rework deployments.
    pub rework: u64,
    /// All deployments with an outcome (as the change failure rate's).
    pub total: u64,
    /// `rework / total`, a ratio 0–1; `null` when `total` is 0.
    pub rate: Option<f64>,
}

/// One row per deployment in the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The deployment id.
    pub id: String,
    /// The deployed commit.
    pub sha: String,
    /// RFC 3339 UTC.
    pub deployed_at: String,
    /// Success or failure.
    pub status: Outcome,
    /// Commits shipped; `null` for failures, seeds and unknown change sets.
    pub changes: Option<u64>,
    /// Median lead time of its changes, in seconds.
    pub median_lead_time_seconds: Option<f64>,
    /// Incidents attributed to it.
    pub incidents: u64,
    /// Seconds to recover, for a failure that recovered.
    pub recovery_seconds: Option<i64>,
    /// Made while an earlier deployment was failed or had an open incident.
    pub rework: bool,
}

/// The four metrics of one window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// The window.
    pub window: WindowOut,
    /// Deployment frequency.
    pub deployment_frequency: Frequency,
    /// Lead time for changes.
    pub lead_time: LeadTime,
    /// Change failure rate.
    pub change_failure_rate: ChangeFailureRate,
    /// Failed deployment recovery time.
    pub recovery_time: RecoveryTime,
    /// Deployment rework rate.
    pub rework_rate: ReworkRate,
    /// What qualifies the numbers ([`Diagnostic`]).
    pub diagnostics: Diagnostics,
    /// One row per deployment in the window.
    pub deployments: Vec<Row>,
}

/// Something the report counted that qualifies its numbers. Serialized (and
/// shown) by its snake_case name, e.g. `shallow_clone`; variants are in
/// alphabetical order so the JSON map keeps its key order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Diagnostic {
    /// `changes_cut_by_shallow_clone`: A deployment's change set reached the edge of a shallow clone: its count is a lower bound.
    ChangesCutByShallowClone,
    /// `commits_seen_in_cut_change_sets`: Commits seen in change sets cut by a shallow clone.
    CommitsSeenInCutChangeSets,
    /// `deployment_commit_not_in_clone`: A deployed commit is not in the local clone: its changes are unknown.
    DeploymentCommitNotInClone,
    /// `deployments_with_statuses_cut`: GitHub deployments whose status list was longer than one page (the newest were read).
    DeploymentsWithStatusesCut,
    /// `deployments_without_changes`: Successful deployments that shipped no new commit (a redeploy or a rollback).
    DeploymentsWithoutChanges,
    /// `deployments_without_outcome`: Deployments with neither a success nor a failure status; left out.
    DeploymentsWithoutOutcome,
    /// `earlier_deployments_not_in_clone`: No earlier deployment's commit is in the clone: the changes are unbounded, unknown.
    EarlierDeploymentsNotInClone,
    /// `failures_unrecovered`: Failed deployments without a later successful one in the window.
    FailuresUnrecovered,
    /// `incidents_before_first_deployment`: Incidents with no deployment before them to attribute them to.
    IncidentsBeforeFirstDeployment,
    /// `incidents_naming_unknown_deployment`: Incidents naming a deployment or SHA that is not known; attributed by time.
    IncidentsNamingUnknownDeployment,
    /// `incidents_open`: Incidents not resolved yet.
    IncidentsOpen,
    /// `merge_commits_excluded`: Merge commits left out of the lead time.
    MergeCommitsExcluded,
    /// `negative_lead_times_excluded`: Commits authored after their deployment (clock skew, rebases); left out of the lead time.
    NegativeLeadTimesExcluded,
    /// `no_deployments_found`: The source had no deployment at all.
    NoDeploymentsFound,
    /// `no_git_repository`: No local git repository: change sets (and lead times) are unknown.
    NoGitRepository,
    /// `no_failure_data`: The source has no failure data (git tags without --incidents): change failure rate and recovery time are null.
    NoFailureData,
    /// `seed_deployments`: Deployments with no earlier successful one: counted for frequency only.
    SeedDeployments,
    /// `shallow_clone`: The local repository is a shallow clone.
    ShallowClone,
    /// `tags_not_on_commits`: Tags matching the pattern that do not point at a commit; skipped.
    TagsNotOnCommits,
    /// `unreadable_nodes`: GitHub GraphQL nodes that could not be read; skipped.
    UnreadableNodes,
}

impl Diagnostic {
    /// The snake_case name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Diagnostic::ChangesCutByShallowClone => "changes_cut_by_shallow_clone",
            Diagnostic::CommitsSeenInCutChangeSets => "commits_seen_in_cut_change_sets",
            Diagnostic::DeploymentCommitNotInClone => "deployment_commit_not_in_clone",
            Diagnostic::DeploymentsWithStatusesCut => "deployments_with_statuses_cut",
            Diagnostic::DeploymentsWithoutChanges => "deployments_without_changes",
            Diagnostic::DeploymentsWithoutOutcome => "deployments_without_outcome",
            Diagnostic::EarlierDeploymentsNotInClone => "earlier_deployments_not_in_clone",
            Diagnostic::FailuresUnrecovered => "failures_unrecovered",
            Diagnostic::IncidentsBeforeFirstDeployment => "incidents_before_first_deployment",
            Diagnostic::IncidentsNamingUnknownDeployment => "incidents_naming_unknown_deployment",
            Diagnostic::IncidentsOpen => "incidents_open",
            Diagnostic::MergeCommitsExcluded => "merge_commits_excluded",
            Diagnostic::NegativeLeadTimesExcluded => "negative_lead_times_excluded",
            Diagnostic::NoDeploymentsFound => "no_deployments_found",
            Diagnostic::NoGitRepository => "no_git_repository",
            Diagnostic::NoFailureData => "no_failure_data",
            Diagnostic::SeedDeployments => "seed_deployments",
            Diagnostic::ShallowClone => "shallow_clone",
            Diagnostic::TagsNotOnCommits => "tags_not_on_commits",
            Diagnostic::UnreadableNodes => "unreadable_nodes",
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counts per [`Diagnostic`]; only non-zero counts are kept, so an empty map
/// means nothing to report. Serializes as a JSON object `{name: count}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(BTreeMap<Diagnostic, u64>);

impl Diagnostics {
    /// Add `n` to the count of `d` (nothing when `n` is 0).
    pub fn bump(&mut self, d: Diagnostic, n: u64) {
        if n > 0 {
            *self.0.entry(d).or_default() += n;
        }
    }

    /// The count of `d` (0 when absent).
    pub fn get(&self, d: Diagnostic) -> u64 {
        self.0.get(&d).copied().unwrap_or(0)
    }

    /// Whether there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The non-zero counts, by name.
    pub fn iter(&self) -> impl Iterator<Item = (Diagnostic, u64)> + '_ {
        self.0.iter().map(|(d, n)| (*d, *n))
    }
}

/// Read one window out of an analysis.
pub fn metrics(a: &Analysis, window: Window) -> Metrics {
    let mut diag = Diagnostics::default();
    let mut bump = |d: Diagnostic, n: u64| diag.bump(d, n);
    let in_window: Vec<&Record> = a
        .records
        .iter()
        .filter(|r| window.contains(r.time))
        .collect();
    bump(
        Diagnostic::DeploymentsWithoutOutcome,
        a.excluded.iter().filter(|t| window.contains(**t)).count() as u64,
    );

    let successes = in_window.iter().filter(|r| r.is_success()).count() as u64;
    let failures = in_window.len() as u64 - successes;

    // Frequency: null only when the source has no deployment at all.
    let days = window.days();
    let has_data = !a.records.is_empty() || !a.excluded.is_empty();
    let deployment_frequency = Frequency {
        deployments: successes,
        per_day: has_data.then(|| successes as f64 / days),
        per_week: has_data.then(|| successes as f64 * 7.0 / days),
        band: has_data.then(|| Band::frequency(successes, days)),
    };
    if !has_data {
        bump(Diagnostic::NoDeploymentsFound, 1);
    }

    // Lead time over every change of the successful deployments in the window.
    let mut lead: Vec<i64> = Vec::new();
    for r in in_window.iter().filter(|r| r.is_success()) {
        lead.extend_from_slice(&r.lead_times);
        bump(Diagnostic::MergeCommitsExcluded, r.merges_excluded);
        bump(Diagnostic::NegativeLeadTimesExcluded, r.negative_lead_times);
        match r.change_state {
            ChangeState::Seed => bump(Diagnostic::SeedDeployments, 1),
            ChangeState::Missing => bump(Diagnostic::DeploymentCommitNotInClone, 1),
            ChangeState::Unbounded => bump(Diagnostic::EarlierDeploymentsNotInClone, 1),
            ChangeState::Truncated => {
                bump(Diagnostic::ChangesCutByShallowClone, 1);
                bump(
                    Diagnostic::CommitsSeenInCutChangeSets,
                    r.commits.len() as u64,
                );
            }
            ChangeState::Known if r.commits.is_empty() => {
                bump(Diagnostic::DeploymentsWithoutChanges, 1)
            }
            _ => {}
        }
    }
    lead.sort_unstable();
    let median = percentile(&lead, 0.5);
    let lead_time = LeadTime {
        median_seconds: median,
        p90_seconds: percentile(&lead, 0.9),
        changes: lead.len() as u64,
        band: median.map(Band::lead_time),
    };

    // Change failure rate: each deployment counts once.
    let with_incidents = in_window
        .iter()
        .filter(|r| r.is_success() && !r.incidents.is_empty())
        .count() as u64;
    let failed = failures + with_incidents;
    let total = successes + failures;
    // Without failure data a rate would be a made-up 0: null, with the reason.
    let known = total > 0 && !a.options.no_failure_data;
    if a.options.no_failure_data {
        bump(Diagnostic::NoFailureData, 1);
    }
    let change_failure_rate = ChangeFailureRate {
        failed,
        total,
        rate: known.then(|| failed as f64 / total as f64),
        band: known.then(|| Band::change_failure(failed, total)),
    };

    // Recovery time over the failures in the window.
    let mut rec: Vec<i64> = in_window
        .iter()
        .filter_map(|r| match r.recovery {
            Recovery::Recovered(s) => Some(s),
            _ => None,
        })
        .collect();
    let unrecovered = in_window
        .iter()
        .filter(|r| r.recovery == Recovery::Unrecovered)
        .count() as u64;
    bump(Diagnostic::FailuresUnrecovered, unrecovered);
    rec.sort_unstable();
    let rmedian = percentile(&rec, 0.5);
    let rmedian = rmedian.filter(|_| !a.options.no_failure_data);
    let recovery_time = RecoveryTime {
        median_seconds: rmedian,
        failures: rec.len() as u64 + unrecovered,
        recovered: rec.len() as u64,
        band: rmedian.map(Band::recovery),
    };

    // Incidents created in the window that no deployment could take.
    let mut unattributed = 0;
    let mut unknown = 0;
    let mut open = 0;
    for inc in a
        .incidents
        .iter()
        .filter(|i| window.contains(i.incident.created_at))
    {
        if inc.deployment.is_none() {
            unattributed += 1;
        }
        if inc.unknown_reference {
            unknown += 1;
        }
        if inc.incident.resolved_at.is_none() {
            open += 1;
        }
    }
    bump(Diagnostic::IncidentsBeforeFirstDeployment, unattributed);
    bump(Diagnostic::IncidentsNamingUnknownDeployment, unknown);
    bump(Diagnostic::IncidentsOpen, open);

    let deployments = in_window
        .iter()
        .map(|r| Row {
            id: r.id.clone(),
            sha: r.sha.clone(),
            deployed_at: ts(r.time),
            status: r.outcome,
            changes: r.changes().map(|n| n as u64),
            median_lead_time_seconds: r.median_lead_time(),
            incidents: r.incidents.len() as u64,
            recovery_seconds: match r.recovery {
                Recovery::Recovered(s) => Some(s),
                _ => None,
            },
            rework: r.rework,
        })
        .collect();
    let rework = in_window.iter().filter(|r| r.rework).count() as u64;
    let all = in_window.len() as u64;
    let rework_rate = ReworkRate {
        rework,
        total: all,
        // Rework is read from failures and incidents: none known, no rate.
        rate: (all > 0 && !a.options.no_failure_data).then(|| rework as f64 / all as f64),
    };

    Metrics {
        window: WindowOut {
            since: ts(window.since),
            until: ts(window.until),
        },
        deployment_frequency,
        lead_time,
        change_failure_rate,
        recovery_time,
        rework_rate,
        diagnostics: diag,
        deployments,
    }
}

/// Current minus previous, per headline number; `null` when either is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delta {
    /// Difference in successful deployments.
    pub deployments: i64,
    /// Difference in deployments per day.
    pub per_day: Option<f64>,
    /// Difference in median lead time, seconds.
    pub lead_time_median_seconds: Option<f64>,
    /// Difference in change failure rate (ratio 0–1).
    pub change_failure_rate: Option<f64>,
    /// Difference in median recovery time, seconds.
    pub recovery_median_seconds: Option<f64>,
    /// Difference in rework rate (ratio 0–1).
    pub rework_rate: Option<f64>,
}

/// Current minus previous for the headline numbers.
pub fn delta(cur: &Metrics, prev: &Metrics) -> Delta {
    let d = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
    Delta {
        deployments: cur.deployment_frequency.deployments as i64
            - prev.deployment_frequency.deployments as i64,
        per_day: d(
            cur.deployment_frequency.per_day,
            prev.deployment_frequency.per_day,
        ),
        lead_time_median_seconds: d(cur.lead_time.median_seconds, prev.lead_time.median_seconds),
        change_failure_rate: d(cur.change_failure_rate.rate, prev.change_failure_rate.rate),
        recovery_median_seconds: d(
            cur.recovery_time.median_seconds,
            prev.recovery_time.median_seconds,
        ),
        rework_rate: d(cur.rework_rate.rate, prev.rework_rate.rate),
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
