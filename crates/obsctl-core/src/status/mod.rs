//! The status page and incidents, without I/O:
//! - [`health`]: the verdict of one health check and its confirmation;
//! - [`incident`]: incidents as GitHub issues (obsctl's marker) and the
//!   state machine of `status check`;
//! - [`rollup`]: component statuses and the page indicator (the rule);
//! - [`uptime`]: uptime per day from incident intervals;
//! - [`site`]: the site model, Statuspage v2 JSON, Atom feed, badges;
//! - [`html`]: the page, `index.html`.
pub mod health;
pub mod html;
pub mod incident;
pub mod rollup;
pub mod site;
pub mod uptime;
