//! DORA's Quick Check scoring (2025 edition): each software-delivery metric
//! on a 0–10 scale, their means (performance, throughput, stability), and a
//! comparison with the 2025 benchmarks by industry or organisation size.
//!
//! The rules and numbers are those of the official Quick Check
//! (dora-team/dora.dev, `svelte/quick-check`, Apache-2.0), as recorded in the
//! contract `dora/quickcheck-2025.json` (tests check these constants against
//! it):
//! - lead time and failed-deployment recovery time are answered with a
//!   bucket 1–6 ([`duration_bucket`]); deployment frequency too
//!   ([`frequency_bucket`]); a bucket scores `(bucket − 1) / 5 × 10`;
//! - change failure rate and deployment rework rate are percentages and
//!   score `(100 − percent) / 10`, clamped to 0–10;
//! - throughput = mean(lead time, deployment frequency, recovery time);
//!   stability = mean(change failure rate, rework rate); performance = mean
//!   of every available metric score. An unknown metric is left out of the
//!   means (and out of the JSON: never shown as 0).
//!
//! Mapping measured values to buckets is obsctl's (the Quick Check asks a
//! person): a median duration `d` → 6 if `d` < 1 h, 5 < 1 day, 4 < 1 week,
//! 3 < 30 days, 2 < 182 days, else 1; deployments per day `f` → 6 if
//! `f` > 1, 5 if `f` ≥ 1, 4 ≥ 1/7, 3 ≥ 1/30, 2 ≥ 1/182, else 1.

use serde::Serialize;

/// The edition of the rules and benchmarks.
pub const EDITION: &str = "2025";

/// The answer texts of the bucketed questions (index = bucket − 1).
pub const DURATION_BUCKETS: [&str; 6] = [
    "More than six months",
    "One to six months",
    "One week to one month",
    "One day to one week",
    "Less than one day",
    "Less than one hour",
];

/// Deployment frequency answers (index = bucket − 1).
pub const FREQUENCY_BUCKETS: [&str; 6] = [
    "Less than once per six months",
    "Between once per month and once every six months",
    "Between once per week and once per month",
    "Between once per day and once per week",
    "Between once per hour and once per day",
    "On demand (multiple deploys per day)",
];

const HOUR: f64 = 3_600.0;
const DAY: f64 = 86_400.0;

/// The bucket (1–6) of a median duration in seconds (lead time, recovery).
pub fn duration_bucket(seconds: f64) -> u8 {
    if seconds < HOUR {
        6
    } else if seconds < DAY {
        5
    } else if seconds < 7.0 * DAY {
        4
    } else if seconds < 30.0 * DAY {
        3
    } else if seconds < 182.0 * DAY {
        2
    } else {
        1
    }
}

/// The bucket (1–6) of an average number of production deployments per day.
pub fn frequency_bucket(per_day: f64) -> u8 {
    if per_day > 1.0 {
        6
    } else if per_day >= 1.0 {
        5
    } else if per_day >= 1.0 / 7.0 {
        4
    } else if per_day >= 1.0 / 30.0 {
        3
    } else if per_day >= 1.0 / 182.0 {
        2
    } else {
        1
    }
}

/// The score (0–10) of a bucket 1–6; any other value (−1: unknown) is 0.
pub fn categorical_score(bucket: i8) -> f64 {
    if (1..=6).contains(&bucket) {
        f64::from(bucket - 1) / 5.0 * 10.0
    } else {
        0.0
    }
}

/// The score (0–10) of a percentage (change failure, rework): `(100 − pct) / 10`.
pub fn percentage_score(percent: f64) -> f64 {
    ((100.0 - percent) / 10.0).clamp(0.0, 10.0)
}

/// Rounded to 2 decimals (the precision of the published examples).
fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn mean(v: &[Option<f64>]) -> Option<f64> {
    let known: Vec<f64> = v.iter().flatten().copied().collect();
    (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
}

/// The measured values the scores are taken from; `None` = unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measured {
    /// Median lead time for changes, seconds.
    pub lead_time_secs: Option<f64>,
    /// Production deployments per day over the window.
    pub deploys_per_day: Option<f64>,
    /// Median failed-deployment recovery time, seconds.
    pub recovery_secs: Option<f64>,
    /// Change failure rate, a ratio 0–1.
    pub change_failure_rate: Option<f64>,
    /// Deployment rework rate, a ratio 0–1.
    pub rework_rate: Option<f64>,
}

/// The Quick Check's inputs: buckets (−1 = unknown) and percentages.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Inputs {
    /// Lead time bucket 1–6, −1 unknown.
    pub leadtime: i8,
    /// Deployment frequency bucket 1–6, −1 unknown.
    pub deployfreq: i8,
    /// Recovery time bucket 1–6, −1 unknown.
    pub failurerecovery: i8,
    /// Change failure rate, percent 0–100 (absent when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changefailure: Option<f64>,
    /// Rework rate, percent 0–100 (absent when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rework: Option<f64>,
}

/// Scores 0–10 (2 decimals); a metric without data has no score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scores {
    /// Mean of every available metric score.
    pub performance: f64,
    /// Mean of lead time, deployment frequency and recovery time scores.
    pub throughput: f64,
    /// Mean of change failure and rework scores.
    pub stability: f64,
    /// Lead time score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leadtime: Option<f64>,
    /// Deployment frequency score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployfreq: Option<f64>,
    /// Recovery time score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failurerecovery: Option<f64>,
    /// Change failure rate score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changefailure: Option<f64>,
    /// Rework rate score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rework: Option<f64>,
}

/// How the scores compare with a benchmark population.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchmarkZ {
    /// The benchmark's key (`all`, `technology`, `fewer_than_100`, …).
    pub key: String,
    /// Its name (`All industries`).
    pub name: String,
    /// Per metric: (score − benchmark mean) / std, 2 decimals; positive is better.
    pub z: std::collections::BTreeMap<String, f64>,
    /// Per metric: the benchmark's mean score (on the 0–10 scale, higher is better).
    pub mean: std::collections::BTreeMap<String, f64>,
}

/// The whole Quick Check block (the contract's shape, plus `mean` in the benchmark).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuickCheck {
    /// Always [`EDITION`].
    pub edition: &'static str,
    /// The answers derived from the measured values.
    pub inputs: Inputs,
    /// The scores.
    pub scores: Scores,
    /// The comparison with the chosen benchmark (absent for an unknown key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<BenchmarkZ>,
}

/// Score measured values. `None` when no metric is known at all (no
/// deployments); unknown metrics are left out of the means.
pub fn quick_check(m: &Measured, benchmark: &str) -> Option<QuickCheck> {
    let lt = m.lead_time_secs.map(|s| duration_bucket(s) as i8);
    let df = m.deploys_per_day.map(|f| frequency_bucket(f) as i8);
    let fr = m.recovery_secs.map(|s| duration_bucket(s) as i8);
    let cf = m.change_failure_rate.map(|r| r * 100.0);
    let rw = m.rework_rate.map(|r| r * 100.0);
    let s_lt = lt.map(categorical_score);
    let s_df = df.map(categorical_score);
    let s_fr = fr.map(categorical_score);
    let s_cf = cf.map(percentage_score);
    let s_rw = rw.map(percentage_score);
    let performance = mean(&[s_lt, s_df, s_fr, s_cf, s_rw])?;
    let throughput = mean(&[s_lt, s_df, s_fr]);
    let stability = mean(&[s_cf, s_rw]);
    let scores = Scores {
        performance: r2(performance),
        throughput: r2(throughput.unwrap_or(performance)),
        stability: r2(stability.unwrap_or(performance)),
        leadtime: s_lt.map(r2),
        deployfreq: s_df.map(r2),
        failurerecovery: s_fr.map(r2),
        changefailure: s_cf.map(r2),
        rework: s_rw.map(r2),
    };
    let benchmark = find(benchmark).map(|b| b.compare(&scores));
    Some(QuickCheck {
        edition: EDITION,
        inputs: Inputs {
            leadtime: lt.unwrap_or(-1),
            deployfreq: df.unwrap_or(-1),
            failurerecovery: fr.unwrap_or(-1),
            changefailure: cf.map(r2),
            rework: rw.map(r2),
        },
        scores,
        benchmark,
    })
}

/// One benchmark row as published (raw scale): `(mean, std)` of, in order,
/// performance_average, software_delivery_throughput,
/// software_delivery_instability, leadtime, deployfreq, changefailure,
/// failurerecovery, rework.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawBenchmark {
    /// The key in the published data.
    pub key: &'static str,
    /// The population's name.
    pub name: &'static str,
    /// `(mean, std)` per column, see the type's doc.
    pub values: [(f64, f64); 8],
}

/// The column names of [`RawBenchmark::values`], in order.
pub const COLUMNS: [&str; 8] = [
    "performance_average",
    "software_delivery_throughput",
    "software_delivery_instability",
    "leadtime",
    "deployfreq",
    "changefailure",
    "failurerecovery",
    "rework",
];

/// Every benchmark key, industries first (`all` is the default).
pub fn benchmark_keys() -> Vec<&'static str> {
    INDUSTRIES
        .iter()
        .map(|b| b.key)
        .chain(
            ORGANIZATION_SIZES
                .iter()
                .filter(|b| b.key != "all")
                .map(|b| b.key),
        )
        .collect()
}

/// The benchmark `key` on the score scale (higher is better): an industry,
/// else an organisation size (`all` is the industry file's row).
pub fn find(key: &str) -> Option<Benchmark> {
    if let Some(b) = INDUSTRIES.iter().find(|b| b.key == key) {
        return Some(Benchmark::from_raw(b, false));
    }
    ORGANIZATION_SIZES
        .iter()
        .find(|b| b.key == key)
        .map(|b| Benchmark::from_raw(b, true))
}

/// A benchmark on the score scale: per metric `(mean, std)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Benchmark {
    /// The key.
    pub key: &'static str,
    /// The name.
    pub name: &'static str,
    /// `(metric, mean, std)`: leadtime, deployfreq, failurerecovery,
    /// changefailure, rework, performance.
    pub metrics: Vec<(&'static str, f64, f64)>,
}

impl Benchmark {
    /// The Quick Check's transform: change failure and rework are stored
    /// as instability (higher = worse) and shown as `10 − mean`; the
    /// performance mean is recomputed from the transformed metric means.
    /// The organisation-size file also stores failure recovery inverted
    /// (its `all` row is 2.6 where the industry file has 7.4 = 10 − 2.6),
    /// so `inverted_recovery` turns it round too.
    fn from_raw(b: &RawBenchmark, inverted_recovery: bool) -> Self {
        let col = |name: &str| b.values[COLUMNS.iter().position(|c| *c == name).expect("column")];
        let (lt, df, cf, fr, rw) = (
            col("leadtime"),
            col("deployfreq"),
            col("changefailure"),
            col("failurerecovery"),
            col("rework"),
        );
        let fr = if inverted_recovery {
            (10.0 - fr.0, fr.1)
        } else {
            fr
        };
        let cf = (10.0 - cf.0, cf.1);
        let rw = (10.0 - rw.0, rw.1);
        let perf = (lt.0 + df.0 + fr.0 + cf.0 + rw.0) / 5.0;
        Benchmark {
            key: b.key,
            name: b.name,
            metrics: vec![
                ("leadtime", lt.0, lt.1),
                ("deployfreq", df.0, df.1),
                ("failurerecovery", fr.0, fr.1),
                ("changefailure", cf.0, cf.1),
                ("rework", rw.0, rw.1),
                ("performance", perf, col("performance_average").1),
            ],
        }
    }

    /// z per available score.
    pub fn compare(&self, s: &Scores) -> BenchmarkZ {
        let mut z = std::collections::BTreeMap::new();
        let mut mean = std::collections::BTreeMap::new();
        for &(name, m, sd) in &self.metrics {
            let score = match name {
                "leadtime" => s.leadtime,
                "deployfreq" => s.deployfreq,
                "failurerecovery" => s.failurerecovery,
                "changefailure" => s.changefailure,
                "rework" => s.rework,
                _ => Some(s.performance),
            };
            mean.insert(name.to_string(), r2(m));
            if let Some(v) = score.filter(|_| sd > 0.0) {
                z.insert(name.to_string(), r2((v - m) / sd));
            }
        }
        BenchmarkZ {
            key: self.key.to_string(),
            name: self.name.to_string(),
            z,
            mean,
        }
    }
}

/// `x-benchmarks-2025.industry` of the contract, verbatim (raw scale).
pub const INDUSTRIES: &[RawBenchmark] = &[
    RawBenchmark {
        key: "all",
        name: "All industries",
        values: [
            (4.3, 1.2),
            (6.0, 2.1),
            (2.1, 2.0),
            (5.5, 2.4),
            (4.8, 2.8),
            (1.9, 2.1),
            (7.4, 2.1),
            (2.2, 2.2),
        ],
    },
    RawBenchmark {
        key: "consumer",
        name: "Retail/Consumer/e-Commerce",
        values: [
            (4.5, 1.1),
            (6.3, 2.0),
            (1.8, 1.7),
            (5.9, 2.3),
            (5.3, 2.7),
            (1.7, 2.0),
            (7.8, 1.8),
            (2.0, 1.9),
        ],
    },
    RawBenchmark {
        key: "media_entertainment",
        name: "Media & Entertainment",
        values: [
            (4.4, 1.2),
            (6.2, 2.2),
            (1.8, 1.6),
            (5.8, 2.4),
            (5.2, 2.7),
            (1.8, 1.8),
            (7.6, 2.1),
            (1.8, 1.7),
        ],
    },
    RawBenchmark {
        key: "non_profit",
        name: "Non-profit",
        values: [
            (4.4, 1.2),
            (6.1, 2.0),
            (2.2, 2.7),
            (5.9, 2.7),
            (4.5, 2.6),
            (2.2, 2.8),
            (7.5, 1.8),
            (2.1, 2.5),
        ],
    },
    RawBenchmark {
        key: "technology",
        name: "Technology",
        values: [
            (4.4, 1.2),
            (6.1, 2.1),
            (2.1, 2.0),
            (5.7, 2.4),
            (4.9, 2.8),
            (1.9, 2.0),
            (7.4, 2.1),
            (2.3, 2.2),
        ],
    },
    RawBenchmark {
        key: "telecommunications",
        name: "Telecommunications",
        values: [
            (4.4, 1.3),
            (5.7, 2.1),
            (2.5, 2.4),
            (5.2, 2.4),
            (4.7, 2.6),
            (2.4, 2.5),
            (7.2, 2.3),
            (2.6, 2.5),
        ],
    },
    RawBenchmark {
        key: "other",
        name: "Other",
        values: [
            (4.3, 1.2),
            (6.1, 2.1),
            (1.8, 1.7),
            (5.7, 2.4),
            (5.0, 2.7),
            (1.6, 1.9),
            (7.6, 2.0),
            (2.0, 2.0),
        ],
    },
    RawBenchmark {
        key: "education",
        name: "Education",
        values: [
            (4.3, 1.3),
            (5.6, 2.3),
            (2.7, 2.1),
            (5.5, 2.6),
            (4.5, 2.9),
            (2.7, 2.4),
            (6.6, 2.6),
            (2.9, 2.3),
        ],
    },
    RawBenchmark {
        key: "financial_services",
        name: "Financial Services",
        values: [
            (4.3, 1.1),
            (6.1, 1.9),
            (1.8, 1.8),
            (5.4, 2.3),
            (5.1, 2.6),
            (1.7, 2.1),
            (7.7, 1.9),
            (1.9, 1.9),
        ],
    },
    RawBenchmark {
        key: "healthcare_pharmaceuticals",
        name: "Healthcare & Pharmaceuticals",
        values: [
            (4.2, 1.4),
            (5.6, 2.2),
            (2.5, 2.2),
            (5.0, 2.6),
            (4.3, 2.8),
            (2.5, 2.3),
            (7.1, 2.2),
            (2.6, 2.4),
        ],
    },
    RawBenchmark {
        key: "energy",
        name: "Energy",
        values: [
            (4.1, 1.1),
            (5.8, 2.0),
            (1.9, 1.6),
            (5.4, 2.5),
            (4.5, 2.7),
            (1.8, 1.8),
            (7.2, 1.9),
            (2.1, 1.9),
        ],
    },
    RawBenchmark {
        key: "government",
        name: "Government",
        values: [
            (4.1, 1.3),
            (5.4, 2.3),
            (2.3, 2.0),
            (4.8, 2.6),
            (4.3, 3.0),
            (2.1, 2.2),
            (7.0, 2.1),
            (2.4, 2.2),
        ],
    },
    RawBenchmark {
        key: "insurance",
        name: "Insurance",
        values: [
            (4.0, 1.2),
            (5.7, 1.8),
            (1.8, 1.8),
            (4.8, 2.2),
            (4.4, 2.5),
            (1.7, 2.0),
            (7.5, 1.8),
            (1.8, 1.9),
        ],
    },
    RawBenchmark {
        key: "industrials_manufacturing",
        name: "Industrials & Manufacturing",
        values: [
            (3.9, 1.3),
            (5.1, 2.3),
            (2.2, 2.0),
            (4.9, 2.6),
            (3.7, 2.7),
            (2.0, 1.9),
            (6.5, 2.3),
            (2.4, 2.3),
        ],
    },
];

/// `x-benchmarks-2025.organization_size` of the contract, verbatim (raw scale).
pub const ORGANIZATION_SIZES: &[RawBenchmark] = &[
    RawBenchmark {
        key: "all",
        name: "All organizations",
        values: [
            (4.3, 1.2),
            (6.0, 2.1),
            (2.1, 2.0),
            (5.5, 2.4),
            (4.8, 2.8),
            (1.9, 2.1),
            (2.6, 2.1),
            (2.2, 2.2),
        ],
    },
    RawBenchmark {
        key: "solo",
        name: "1 employee",
        values: [
            (4.9, 1.6),
            (6.3, 2.1),
            (3.1, 3.0),
            (6.4, 2.7),
            (5.1, 3.4),
            (3.0, 3.1),
            (2.8, 2.6),
            (3.3, 3.1),
        ],
    },
    RawBenchmark {
        key: "fewer_than_10",
        name: "2 to 9 employees",
        values: [
            (4.6, 1.4),
            (6.3, 2.3),
            (2.1, 2.0),
            (6.4, 2.7),
            (4.8, 2.9),
            (1.9, 2.2),
            (2.3, 2.2),
            (2.3, 2.3),
        ],
    },
    RawBenchmark {
        key: "fewer_than_100",
        name: "20 to 99 employees",
        values: [
            (4.4, 1.1),
            (5.9, 1.9),
            (2.1, 1.9),
            (5.8, 2.3),
            (4.4, 2.4),
            (1.7, 1.8),
            (2.4, 1.9),
            (2.3, 2.1),
        ],
    },
    RawBenchmark {
        key: "fewer_than_500",
        name: "100 to 499 employees",
        values: [
            (4.4, 1.2),
            (6.0, 2.0),
            (2.1, 2.0),
            (5.6, 2.4),
            (4.8, 2.7),
            (1.9, 2.0),
            (2.6, 2.1),
            (2.3, 2.2),
        ],
    },
    RawBenchmark {
        key: "fewer_than_1000",
        name: "500 to 999 employees",
        values: [
            (4.3, 1.3),
            (6.0, 2.0),
            (2.1, 2.0),
            (5.5, 2.4),
            (4.7, 2.6),
            (1.8, 2.1),
            (2.7, 2.1),
            (2.2, 2.2),
        ],
    },
    RawBenchmark {
        key: "fewer_than_5000",
        name: "1,000 to 4,999 employees",
        values: [
            (4.3, 1.2),
            (5.8, 2.1),
            (2.0, 1.9),
            (5.3, 2.4),
            (4.7, 2.7),
            (1.9, 2.1),
            (2.6, 2.2),
            (2.1, 2.1),
        ],
    },
    RawBenchmark {
        key: "fewer_than_10000",
        name: "5,000 to 9,999 employees",
        values: [
            (4.3, 1.2),
            (6.0, 2.0),
            (1.9, 1.8),
            (5.4, 2.4),
            (4.8, 2.8),
            (1.8, 2.1),
            (2.5, 1.9),
            (2.0, 1.9),
        ],
    },
    RawBenchmark {
        key: "more_than_9999",
        name: "10,000 or more employees",
        values: [
            (4.2, 1.2),
            (5.9, 2.2),
            (2.0, 2.0),
            (5.2, 2.5),
            (4.9, 2.8),
            (1.9, 2.2),
            (2.8, 2.2),
            (2.1, 2.2),
        ],
    },
];
#[cfg(test)]
mod tests;
