//! `obsctl alerts …`: Sentry monitors and alerts as code.

pub mod test;
