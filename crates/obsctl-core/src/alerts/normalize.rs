//! Normalising monitors and alerts the way Sentry does, so that what obsctl
//! would send and what Sentry answers compare equal when they mean the same:
//! server-side fields (ids, dates, owner, `latestGroup`) dropped; server
//! defaults filled in; conditions in one order; numbers in their shortest
//! form (`100.0` → `100`); Sentry's own query rewrites applied
//! (`p95(transaction.duration)` → `p95(span.duration)`, the retired
//! `transactions` dataset → `events_analytics_platform`).
//!
//! Both the request shape (`dataSources[0].aggregate`) and the response shape
//! (`dataSources[0].queryObj.snubaQuery.aggregate`, uptime
//! `dataSources[0].queryObj.url`) are accepted.

use serde_json::{Map, Value, json};

use super::compile::{FREQUENCY_MINUTES, num};

/// A number in its shortest form; anything else unchanged.
fn n(v: &Value) -> Value {
    match v.as_f64() {
        Some(x) if v.is_number() => num(x),
        _ => v.clone(),
    }
}

/// Sentry's aggregate rewrites from the transaction to the span dataset.
pub fn rewrite_aggregate(aggregate: &str) -> String {
    aggregate
        .trim()
        .replace("transaction.duration", "span.duration")
}

fn source_of(v: &Value) -> Value {
    let ds = &v["dataSources"][0];
    if ds["queryObj"].is_object() {
        let q = &ds["queryObj"];
        if q["snubaQuery"].is_object() {
            q["snubaQuery"].clone()
        } else {
            q.clone()
        }
    } else {
        ds.clone()
    }
}

fn sorted_strings(v: &Value) -> Value {
    let mut items: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    items.dedup();
    json!(items)
}

fn sorted_by_text(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by_key(|v| v.to_string());
    items
}

/// The comparable form of a monitor (request body or Sentry's answer).
pub fn detector(v: &Value) -> Value {
    let kind = v["type"].as_str().unwrap_or("").to_string();
    let mut out = Map::new();
    out.insert("name".into(), v["name"].clone());
    out.insert(
        "description".into(),
        json!(v["description"].as_str().unwrap_or("")),
    );
    out.insert(
        "enabled".into(),
        json!(v["enabled"].as_bool().unwrap_or(true)),
    );
    out.insert("type".into(), json!(kind));
    let src = source_of(v);
    if kind == "uptime_domain_failure" {
        out.insert(
            "check".into(),
            json!({
                "url": src["url"],
                "method": src["method"].as_str().unwrap_or("GET"),
                "intervalSeconds": n(&src["intervalSeconds"]),
                "timeoutMs": n(&src["timeoutMs"]),
            }),
        );
        let c = &v["config"];
        out.insert(
            "config".into(),
            json!({
                "environment": c["environment"],
                "mode": n(c.get("mode").unwrap_or(&json!(1))),
                "downtimeThreshold": n(c.get("downtimeThreshold").unwrap_or(&json!(3))),
                "recoveryThreshold": n(c.get("recoveryThreshold").unwrap_or(&json!(1))),
            }),
        );
        return Value::Object(out);
    }
    let mut dataset = src["dataset"].as_str().unwrap_or("").to_string();
    let mut event_types = src["eventTypes"].clone();
    if dataset == "transactions" || dataset == "generic_metrics" {
        dataset = "events_analytics_platform".into();
        event_types = json!(["trace_item_span"]);
    }
    out.insert(
        "query".into(),
        json!({
            "aggregate": rewrite_aggregate(src["aggregate"].as_str().unwrap_or("")),
            "dataset": dataset,
            "query": src["query"].as_str().unwrap_or("").trim(),
            "timeWindow": n(&src["timeWindow"]),
            "environment": src["environment"],
            "eventTypes": sorted_strings(&event_types),
        }),
    );
    let group = &v["conditionGroup"];
    let mut conditions: Vec<Value> = group["conditions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    json!({
                        "type": c["type"],
                        "comparison": n(&c["comparison"]),
                        "conditionResult": n(&c["conditionResult"]),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // Highest priority first, the resolve condition last (Sentry's own order varies).
    conditions.sort_by(|a, b| {
        let r = |c: &Value| c["conditionResult"].as_i64().unwrap_or(0);
        r(b).cmp(&r(a))
            .then_with(|| a.to_string().cmp(&b.to_string()))
    });
    out.insert(
        "logicType".into(),
        json!(group["logicType"].as_str().unwrap_or("any")),
    );
    out.insert("conditions".into(), json!(conditions));
    let c = &v["config"];
    let mut config = Map::new();
    config.insert(
        "detectionType".into(),
        json!(c["detectionType"].as_str().unwrap_or("static")),
    );
    if !c["comparisonDelta"].is_null() {
        config.insert("comparisonDelta".into(), n(&c["comparisonDelta"]));
    }
    out.insert("config".into(), Value::Object(config));
    Value::Object(out)
}

fn condition(c: &Value) -> Value {
    json!({
        "type": c["type"],
        "comparison": n(&c["comparison"]),
        "conditionResult": c["conditionResult"],
    })
}

fn workflow_action(a: &Value) -> Value {
    let cfg = &a["config"];
    let data = match &a["data"] {
        Value::Object(m) if !m.is_empty() => Value::Object(m.clone()),
        _ => json!({}),
    };
    json!({
        "type": a["type"],
        "integrationId": a["integrationId"].as_str().map(Value::from).unwrap_or(Value::Null),
        "data": data,
        "targetType": cfg["targetType"],
        "targetIdentifier": cfg["targetIdentifier"],
        "targetDisplay": cfg["targetDisplay"],
        "status": a["status"].as_str().unwrap_or("active"),
    })
}

/// The comparable form of an alert (workflow), request body or answer.
pub fn workflow(v: &Value) -> Value {
    let conditions = |list: &Value| {
        sorted_by_text(
            list.as_array()
                .map(|a| a.iter().map(condition).collect())
                .unwrap_or_default(),
        )
    };
    let filters: Vec<Value> = v["actionFilters"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    json!({
                        "logicType": f["logicType"],
                        "conditions": conditions(&f["conditions"]),
                        "actions": sorted_by_text(
                            f["actions"].as_array().map(|a| a.iter().map(workflow_action).collect()).unwrap_or_default()
                        ),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "name": v["name"],
        "enabled": v["enabled"].as_bool().unwrap_or(true),
        "environment": v["environment"],
        "detectorIds": sorted_strings(&v["detectorIds"]),
        "frequency": n(v["config"].get("frequency").unwrap_or(&json!(FREQUENCY_MINUTES))),
        "triggers": {
            "logicType": v["triggers"]["logicType"],
            "conditions": conditions(&v["triggers"]["conditions"]),
        },
        "actionFilters": sorted_by_text(filters),
    })
}

/// One changed field: its path (`query.timeWindow`,
/// `conditions[0].comparison`) and both values (`null` when absent).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FieldDiff {
    /// Dotted path with `[i]` for array items.
    pub field: String,
    /// What Sentry holds (`null` for a create).
    pub from: Value,
    /// What obsctl would set (`null` for a delete).
    pub to: Value,
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// The fields that differ between two comparable forms, each path prefixed
/// with `prefix` (`monitor.`, `alert.`), in path order.
pub fn diff(prefix: &str, from: &Value, to: &Value) -> Vec<FieldDiff> {
    let mut a = Vec::new();
    let mut b = Vec::new();
    flatten("", from, &mut a);
    flatten("", to, &mut b);
    let a: std::collections::BTreeMap<String, Value> = a.into_iter().collect();
    let b: std::collections::BTreeMap<String, Value> = b.into_iter().collect();
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let x = a.get(k).cloned().unwrap_or(Value::Null);
            let y = b.get(k).cloned().unwrap_or(Value::Null);
            (x != y).then(|| FieldDiff {
                field: format!("{prefix}{k}"),
                from: x,
                to: y,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn request() -> Value {
        json!({
            "name": "[obsctl] web: p95 > 1s (5m)",
            "type": "metric_issue",
            "description": "x\nobsctl:key=web-p95",
            "enabled": true,
            "dataSources": [{
                "aggregate": "p95(span.duration)", "dataset": "events_analytics_platform",
                "eventTypes": ["trace_item_span"], "query": "is_transaction:true", "queryType": 1,
                "timeWindow": 300, "environment": "production"
            }],
            "conditionGroup": {"logicType": "any", "conditions": [
                {"type": "gt", "comparison": 1000, "conditionResult": 75},
                {"type": "lte", "comparison": 800, "conditionResult": 0}
            ]},
            "config": {"detectionType": "static"}
        })
    }

    /// What Sentry answers for `request()`: nested source, ids, reordered
    /// conditions, floats, the transaction aggregate.
    fn answer() -> Value {
        json!({
            "id": "12", "projectId": "1", "owner": null, "createdBy": "3", "workflowIds": ["9"],
            "dateCreated": "2026-01-01T00:00:00Z", "dateUpdated": "2026-01-01T00:00:00Z",
            "latestGroup": null,
            "name": "[obsctl] web: p95 > 1s (5m)", "type": "metric_issue",
            "description": "x\nobsctl:key=web-p95", "enabled": true,
            "dataSources": [{"id": "5", "type": "snuba_query_subscription", "queryObj": {"snubaQuery": {
                "id": "7", "aggregate": "p95(transaction.duration)", "dataset": "events_analytics_platform",
                "eventTypes": ["trace_item_span"], "query": "is_transaction:true",
                "timeWindow": 300.0, "environment": "production", "extrapolationMode": "unknown"
            }}}],
            "conditionGroup": {"id": "8", "logicType": "any", "actions": [], "conditions": [
                {"id": "1", "type": "lte", "comparison": 800.0, "conditionResult": 0},
                {"id": "2", "type": "gt", "comparison": 1000.0, "conditionResult": 75}
            ]},
            "config": {"detectionType": "static"}
        })
    }

    #[test]
    fn request_and_answer_compare_equal() {
        assert_eq!(detector(&request()), detector(&answer()));
        assert!(diff("monitor.", &detector(&answer()), &detector(&request())).is_empty());
    }

    #[test]
    fn a_threshold_change_is_one_field() {
        let mut changed = request();
        changed["conditionGroup"]["conditions"][0]["comparison"] = json!(1500);
        let d = diff("monitor.", &detector(&answer()), &detector(&changed));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].field, "monitor.conditions[0].comparison");
        assert_eq!(d[0].from, json!(1000));
        assert_eq!(d[0].to, json!(1500));
    }

    #[test]
    fn workflows_compare_without_server_fields() {
        let req = json!({
            "name": "[obsctl] a · obsctl:key=a", "enabled": true, "environment": "production",
            "detectorIds": ["12"], "config": {"frequency": 30},
            "triggers": {"logicType": "any-short", "conditions": []},
            "actionFilters": [{"logicType": "any-short", "conditions": [
                {"type": "issue_priority_greater_or_equal", "comparison": 75, "conditionResult": true},
                {"type": "issue_priority_deescalating", "comparison": 75, "conditionResult": true}
            ], "actions": [
                {"type": "slack", "integrationId": "1", "data": {}, "config": {"targetType": "specific", "targetIdentifier": "C1", "targetDisplay": "incidents"}, "status": "active"}
            ]}]
        });
        let mut ans = req.clone();
        ans["id"] = json!("4");
        ans["detectorIds"] = json!([12]);
        ans["config"] = json!({});
        ans["actionFilters"][0]["id"] = json!("99");
        ans["actionFilters"][0]["conditions"] = json!([
            {"id": "1", "type": "issue_priority_deescalating", "comparison": 75.0, "conditionResult": true},
            {"id": "2", "type": "issue_priority_greater_or_equal", "comparison": 75, "conditionResult": true}
        ]);
        assert_eq!(workflow(&req), workflow(&ans));
    }

    #[test]
    fn uptime_defaults() {
        let req = json!({"name": "u", "type": "uptime_domain_failure", "description": "d",
            "dataSources": [{"url": "https://x/h", "method": "GET", "intervalSeconds": 60, "timeoutMs": 5000}],
            "config": {"mode": 1, "environment": "production", "downtimeThreshold": 3, "recoveryThreshold": 1}});
        let ans = json!({"name": "u", "type": "uptime_domain_failure", "description": "d", "enabled": true,
            "dataSources": [{"type": "uptime_subscription", "queryObj": {"url": "https://x/h", "method": "GET",
                "intervalSeconds": 60, "timeoutMs": 5000, "headers": [], "traceSampling": false}}],
            "conditionGroup": {"logicType": "any", "conditions": [{"type": "eq", "comparison": "failure", "conditionResult": 75}]},
            "config": {"environment": "production", "mode": 1}});
        assert_eq!(detector(&req), detector(&ans));
    }

    proptest! {
        /// Whatever order and number form Sentry answers in, the comparable
        /// form is the same.
        #[test]
        fn order_and_number_form_never_matter(
            t in 1u32..100_000, r in 0u32..100_000, swap in any::<bool>(), float in any::<bool>()
        ) {
            let mut a = request();
            a["conditionGroup"]["conditions"][0]["comparison"] = json!(t);
            a["conditionGroup"]["conditions"][1]["comparison"] = json!(r);
            let mut b = a.clone();
            if float {
                b["conditionGroup"]["conditions"][0]["comparison"] = json!(f64::from(t));
                b["dataSources"][0]["timeWindow"] = json!(300.0);
            }
            if swap {
                let c = b["conditionGroup"]["conditions"].as_array_mut().unwrap();
                c.swap(0, 1);
            }
            prop_assert_eq!(detector(&a), detector(&b));
        }

        /// diff(x, y) is empty exactly when the forms are equal.
        #[test]
        fn diff_is_empty_iff_equal(t in 1u32..10, u in 1u32..10) {
            let mut a = request();
            a["conditionGroup"]["conditions"][0]["comparison"] = json!(t);
            let mut b = request();
            b["conditionGroup"]["conditions"][0]["comparison"] = json!(u);
            let (x, y) = (detector(&a), detector(&b));
            prop_assert_eq!(diff("", &x, &y).is_empty(), x == y);
        }
    }
}
