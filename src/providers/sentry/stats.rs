//! Outcomes: `GET /api/0/organizations/{org}/stats_v2/` (contract
//! `sentry/list-organization-stats-v2.json`; scope `org:read`) grouped by
//! outcome and reason for one project's errors: why accepted events were
//! dropped (inbound filters, rate limits, quota), and how many errors a
//! project usually has (the baseline of an error-spike test).

use obsctl_core::events::outcomes::{self, OutcomeCount};
use reqwest::Method;
use serde_json::Value;

use super::Sentry;

impl Sentry {
    /// Error outcomes of project `project_id` (numeric) over `stats_period`
    /// (`1h`, `24h`), grouped by outcome and reason.
    ///
    /// Errors: 403 names `org:read`.
    pub async fn error_outcomes(
        &self,
        project_id: &str,
        stats_period: &str,
    ) -> anyhow::Result<Vec<OutcomeCount>> {
        let url = self.org_url("stats_v2/");
        let req = self
            .request(Method::GET, "read ingestion outcomes", url)
            .query(&[
                ("field", "sum(quantity)"),
                ("groupBy", "outcome"),
                ("groupBy", "reason"),
                ("category", "error"),
                ("project", project_id),
                ("statsPeriod", stats_period),
                ("interval", "1h"),
            ]);
        let resp = self.http().send(req).await?;
        if !resp.is_success() {
            let hint = match resp.status.as_u16() {
                401 | 403 => Some("SENTRY_AUTH_TOKEN lacks the `org:read` scope needed for stats_v2 (Settings → Auth Tokens)".to_string()),
                _ => None,
            };
            return Err(resp.error(hint).into());
        }
        let body: Value = resp.json()?;
        Ok(outcomes::parse_stats(&body))
    }
}

/// Sum of the `accepted` counts.
pub fn accepted(counts: &[OutcomeCount]) -> u64 {
    counts
        .iter()
        .filter(|c| c.outcome == "accepted")
        .map(|c| c.quantity)
        .sum()
}
