//! The roll-up: each service's Statuspage component status, and the page's
//! indicator.
//!
//! **Component status** = the worst of:
//! - the latest check (`--checks`): up → `operational`, degraded →
//!   `degraded_performance`, down → `major_outage`;
//! - every open incident of the service, even without checks: a check
//!   incident by the health it currently reports (down → `major_outage`,
//!   degraded → `degraded_performance`); a declared incident by its impact
//!   (minor → `degraded_performance`, major → `partial_outage`, critical →
//!   `major_outage`).
//!
//! **Page indicator** = the worst of:
//! - per component: `degraded_performance` → minor, `partial_outage` →
//!   major, `major_outage` → major, or critical when the service is
//!   `critical = true` or every service is in a major outage;
//! - per unresolved incident: its impact (minor, major, critical).
//!
//! No component and no incident: `none` ("All Systems Operational").

use serde::{Deserialize, Serialize};

use super::health::Health;
use super::incident::Impact;

/// A Statuspage component status (without `under_maintenance`, which
/// obsctl never sets). Ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    /// Working.
    Operational,
    /// Slow, or a minor declared incident.
    DegradedPerformance,
    /// A major declared incident.
    PartialOutage,
    /// Down, or a critical declared incident.
    MajorOutage,
}

impl ComponentStatus {
    /// Statuspage's word.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::DegradedPerformance => "degraded_performance",
            ComponentStatus::PartialOutage => "partial_outage",
            ComponentStatus::MajorOutage => "major_outage",
        }
    }

    /// In words, for the page.
    pub fn label(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "Operational",
            ComponentStatus::DegradedPerformance => "Degraded performance",
            ComponentStatus::PartialOutage => "Partial outage",
            ComponentStatus::MajorOutage => "Major outage",
        }
    }

    /// From a check's health.
    pub fn from_health(h: Health) -> Self {
        match h {
            Health::Up => ComponentStatus::Operational,
            Health::Degraded => ComponentStatus::DegradedPerformance,
            Health::Down => ComponentStatus::MajorOutage,
        }
    }

    /// From a declared incident's impact.
    pub fn from_impact(i: Impact) -> Self {
        match i {
            Impact::Minor => ComponentStatus::DegradedPerformance,
            Impact::Major => ComponentStatus::PartialOutage,
            Impact::Critical => ComponentStatus::MajorOutage,
        }
    }

    /// The shields.io colour and the short word for a badge.
    pub fn badge(self) -> (&'static str, &'static str) {
        match self {
            ComponentStatus::Operational => ("up", "brightgreen"),
            ComponentStatus::DegradedPerformance => ("degraded", "yellow"),
            ComponentStatus::PartialOutage => ("partial outage", "orange"),
            ComponentStatus::MajorOutage => ("down", "red"),
        }
    }
}

/// The page indicator. Ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Indicator {
    /// All systems operational.
    None,
    /// Something is degraded.
    Minor,
    /// A partial outage, or a non-critical service down.
    Major,
    /// A critical service down, everything down, or a critical incident.
    Critical,
}

impl Indicator {
    /// Statuspage's word.
    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::None => "none",
            Indicator::Minor => "minor",
            Indicator::Major => "major",
            Indicator::Critical => "critical",
        }
    }

    /// Statuspage's usual description.
    pub fn description(self) -> &'static str {
        match self {
            Indicator::None => "All Systems Operational",
            Indicator::Minor => "Partially Degraded Service",
            Indicator::Major => "Partial System Outage",
            Indicator::Critical => "Major Service Outage",
        }
    }

    /// From an incident's impact.
    pub fn from_impact(i: Impact) -> Self {
        match i {
            Impact::Minor => Indicator::Minor,
            Impact::Major => Indicator::Major,
            Impact::Critical => Indicator::Critical,
        }
    }
}

/// What one open incident says about its service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenSignal {
    /// A `status check` incident reporting this health.
    Check(Health),
    /// A declared incident of this impact.
    Declared(Impact),
}

/// A service's component status from its latest check (if any) and the
/// signals of its open incidents.
pub fn component_status(check: Option<Health>, open: &[OpenSignal]) -> ComponentStatus {
    let mut worst = check
        .map(ComponentStatus::from_health)
        .unwrap_or(ComponentStatus::Operational);
    for s in open {
        let c = match *s {
            OpenSignal::Check(h) => ComponentStatus::from_health(h),
            OpenSignal::Declared(i) => ComponentStatus::from_impact(i),
        };
        worst = worst.max(c);
    }
    worst
}

/// The page indicator from `(status, critical)` per component and the
/// impacts of the unresolved incidents.
pub fn indicator(components: &[(ComponentStatus, bool)], unresolved: &[Impact]) -> Indicator {
    let all_down = !components.is_empty()
        && components
            .iter()
            .all(|(s, _)| *s == ComponentStatus::MajorOutage);
    let mut worst = Indicator::None;
    for (status, critical) in components {
        let i = match status {
            ComponentStatus::Operational => Indicator::None,
            ComponentStatus::DegradedPerformance => Indicator::Minor,
            ComponentStatus::PartialOutage => Indicator::Major,
            ComponentStatus::MajorOutage if *critical || all_down => Indicator::Critical,
            ComponentStatus::MajorOutage => Indicator::Major,
        };
        worst = worst.max(i);
    }
    for i in unresolved {
        worst = worst.max(Indicator::from_impact(*i));
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComponentStatus::*;

    #[test]
    fn open_incident_decides_without_checks() {
        assert_eq!(component_status(None, &[]), Operational);
        assert_eq!(
            component_status(None, &[OpenSignal::Check(Health::Down)]),
            MajorOutage
        );
        assert_eq!(
            component_status(None, &[OpenSignal::Check(Health::Degraded)]),
            DegradedPerformance
        );
        assert_eq!(
            component_status(None, &[OpenSignal::Declared(Impact::Major)]),
            PartialOutage
        );
        // The worst wins: a check that says up does not hide an open incident.
        assert_eq!(
            component_status(Some(Health::Up), &[OpenSignal::Declared(Impact::Minor)]),
            DegradedPerformance
        );
        assert_eq!(component_status(Some(Health::Down), &[]), MajorOutage);
    }

    #[test]
    fn indicator_rule() {
        assert_eq!(indicator(&[], &[]), Indicator::None);
        assert_eq!(indicator(&[(Operational, true)], &[]), Indicator::None);
        assert_eq!(
            indicator(&[(DegradedPerformance, false), (Operational, false)], &[]),
            Indicator::Minor
        );
        assert_eq!(
            indicator(&[(MajorOutage, false), (Operational, false)], &[]),
            Indicator::Major
        );
        assert_eq!(
            indicator(&[(MajorOutage, true), (Operational, false)], &[]),
            Indicator::Critical
        );
        assert_eq!(
            indicator(&[(MajorOutage, false), (MajorOutage, false)], &[]),
            Indicator::Critical
        );
        assert_eq!(
            indicator(&[(Operational, false)], &[Impact::Major]),
            Indicator::Major
        );
    }
}
