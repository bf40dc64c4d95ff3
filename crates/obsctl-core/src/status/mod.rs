//! The status page and incidents, without I/O: health verdicts and their
//! confirmation ([`health`]), incidents as GitHub issues and the state
//! machine of `status check` ([`incident`]).
pub mod health;
pub mod incident;
