//! One typed client per remote API. Every client sends through the shared
//! [`crate::http::Http`] policy and takes its base URL from configuration,
//! so tests point it at a loopback fake.

pub mod discord;
pub mod github;
pub mod health;
pub mod sentry;
pub mod slack;
