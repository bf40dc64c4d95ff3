//! The one error type the core returns for bad input.

/// Bad input or usage: the CLI maps it to exit code 2 and writes nothing.
///
/// The message is complete and user-facing ("… : pass a valid one with
/// --version"); callers print it as it is.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
