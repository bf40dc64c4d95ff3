//! `obsctl events test` and `obsctl alerts test`, without I/O: DSN parsing
//! and region checks ([`dsn`]), the test event and its envelope built with
//! the `sentry` crate's protocol types ([`envelope`]), `X-Sentry-Rate-Limits`
//! ([`rate_limits`]), stats_v2 outcomes turned into a reason ([`outcomes`]),
//! the size of an alert-test spike and the polling schedule ([`spike`]).

pub mod alert_test;
pub mod dsn;
pub mod envelope;
pub mod outcomes;
pub mod rate_limits;
pub mod spike;
