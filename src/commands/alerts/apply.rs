//! `obsctl alerts apply`: carry out exactly the plan. Monitors are written
//! before the alerts that reference them (each group concurrently), alert
//! deletes before monitor deletes. In sync, nothing is sent.

use std::collections::HashMap;
use std::sync::Mutex;

use anyhow::{Result, anyhow};
use obsctl_core::alerts::plan::{DetectorRef, Op, Plan};
use serde_json::{Value, json};

use crate::cli::AlertsApplyArgs;
use crate::context::Context;
use crate::providers::sentry::monitors::Monitors;

pub async fn run(args: AlertsApplyArgs, ctx: &Context) -> Result<()> {
    let (m, plan) = super::make_plan(ctx, args.prune, "alerts:write").await?;
    let writes = execute(&m, &plan).await?;
    if ctx.dry_run {
        let planned = ctx.http.planned();
        ctx.ui.result(
            &format!(
                "{}\n{}",
                plan.render_text(),
                super::super::dry_run_text(&planned)
            ),
            &json!({ "dry_run": true, "changes": plan.changes, "requests": planned }),
        );
        return Ok(());
    }
    let text = if writes == 0 {
        format!("alerts apply: in sync, nothing to do ({})", plan.summary())
    } else {
        format!(
            "{}\nalerts apply: done, {writes} writes",
            plan.render_text()
                .replacen("alerts plan:", "alerts apply:", 1)
        )
    };
    ctx.ui
        .result(&text, &json!({ "changes": plan.changes, "writes": writes }));
    ctx.write_summary(&plan.render_markdown("obsctl alerts apply"))?;
    ctx.write_outputs(&[
        ("alerts_writes", writes.to_string()),
        ("alerts_summary", plan.summary()),
    ])?;
    Ok(())
}

/// Send the plan's writes in order; returns how many were sent.
pub async fn execute(m: &Monitors, plan: &Plan) -> Result<usize> {
    let ops = plan.ops();
    let created: Mutex<HashMap<String, String>> = Mutex::default();
    let mut sent = 0;
    for rank in 0..4u8 {
        let group: Vec<&Op> = ops.iter().copied().filter(|o| op_rank(o) == rank).collect();
        sent += group.len();
        futures::future::try_join_all(group.into_iter().map(|op| one(m, op, &created))).await?;
    }
    Ok(sent)
}

fn op_rank(op: &Op) -> u8 {
    match op {
        Op::CreateDetector { .. } | Op::UpdateDetector { .. } => 0,
        Op::CreateWorkflow { .. } | Op::UpdateWorkflow { .. } => 1,
        Op::DeleteWorkflow { .. } => 2,
        Op::DeleteDetector { .. } => 3,
    }
}

fn with_detector(
    body: &Value,
    key: &str,
    r: &DetectorRef,
    created: &Mutex<HashMap<String, String>>,
) -> Result<Value> {
    let id = match r {
        DetectorRef::Existing(id) => id.clone(),
        DetectorRef::New => created
            .lock()
            .expect("created lock")
            .get(key)
            .cloned()
            .ok_or_else(|| anyhow!("alert {key}: its monitor was not created"))?,
    };
    let mut b = body.clone();
    // Sentry takes integer ids; a dry run's placeholder id stays a string.
    b["detectorIds"] = match id.parse::<u64>() {
        Ok(n) => json!([n]),
        Err(_) => json!([id]),
    };
    Ok(b)
}

async fn one(m: &Monitors, op: &Op, created: &Mutex<HashMap<String, String>>) -> Result<()> {
    match op {
        Op::CreateDetector { key, project, body } => {
            let d = m.create_detector(project, key, body).await?;
            created
                .lock()
                .expect("created lock")
                .insert(key.clone(), super::id_of(&d));
        }
        Op::UpdateDetector { key, id, body } => {
            m.update_detector(id, key, body).await?;
        }
        Op::DeleteDetector { key, id } => m.delete_detector(id, key).await?,
        Op::CreateWorkflow {
            key,
            body,
            detector,
        } => {
            m.create_workflow(key, &with_detector(body, key, detector, created)?)
                .await?;
        }
        Op::UpdateWorkflow {
            key,
            id,
            body,
            detector,
        } => {
            let mut b = with_detector(body, key, detector, created)?;
            b["id"] = json!(id);
            m.update_workflow(id, key, &b).await?;
        }
        Op::DeleteWorkflow { key, id } => m.delete_workflow(id, key).await?,
    }
    Ok(())
}
