//! The GitHub Actions runner protocol: workflow commands (`::warning::`,
//! `::add-mask::`), `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`.
//!
//! Escaping follows `@actions/core` (`toCommandValue`/`escapeData`/
//! `escapeProperty`), so untrusted text (commit subjects, branch names) can
//! never start a second workflow command.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result, bail};

/// Step summaries are limited to 1 MiB by the runner; stay under it.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

/// Escape the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`title=…`, `file=…`) of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::add-mask::VALUE`, one line per line of the value (the runner masks
/// line by line).
pub fn add_mask_lines(secret: &str) -> Vec<String> {
    secret
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("::add-mask::{}", escape_data(l)))
        .collect()
}

/// A workflow command with an optional title property.
pub fn command(kind: &str, title: Option<&str>, message: &str) -> String {
    match title {
        Some(t) => format!(
            "::{kind} title={}::{}",
            escape_property(t),
            escape_data(message)
        ),
        None => format!("::{kind}::{}", escape_data(message)),
    }
}

/// Format one `name=value` entry for `$GITHUB_OUTPUT`. Multi-line values (and
/// every value, to be safe against a value containing the delimiter) use the
/// heredoc form with a random delimiter checked against the value.
pub fn format_output(name: &str, value: &str) -> Result<String> {
    if name.is_empty() || name.contains(['=', '\n', '\r']) {
        bail!("invalid output name {name:?}");
    }
    if !value.contains(['\n', '\r']) {
        return Ok(format!("{name}={value}\n"));
    }
    let delimiter = loop {
        let d = format!("ghadelimiter_{:016x}", fastrand::u64(..));
        if !value.contains(&d) {
            break d;
        }
    };
    Ok(format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"))
}

/// Append outputs to the file named by `$GITHUB_OUTPUT`.
pub fn write_outputs(path: &Path, outputs: &[(&str, String)]) -> Result<()> {
    let mut text = String::new();
    for (name, value) in outputs {
        text.push_str(&format_output(name, value)?);
    }
    append(path, &text).with_context(|| format!("writing step outputs to {}", path.display()))
}

/// Append Markdown to the step summary, keeping the file under the runner's
/// 1 MiB limit (truncating with a note rather than failing the step).
pub fn append_summary(path: &Path, markdown: &str) -> Result<()> {
    let existing = std::fs::metadata(path)
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    let room = SUMMARY_LIMIT.saturating_sub(existing);
    let note = "\n\n_(summary truncated: GitHub limits step summaries to 1 MiB)_\n";
    let text = if markdown.len() < room {
        format!("{markdown}\n")
    } else if room > note.len() {
        let mut cut = room - note.len();
        while !markdown.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}{note}", &markdown[..cut])
    } else {
        return Ok(());
    };
    append(path, &text).with_context(|| format!("writing the step summary to {}", path.display()))
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_actions_core() {
        assert_eq!(escape_data("a%b\r\nc"), "a%25b%0D%0Ac");
        assert_eq!(escape_property("a:b,c\n"), "a%3Ab%2Cc%0A");
        // A newline in untrusted text cannot start a new command.
        let line = command("warning", None, "subject\n::error::pwned");
        assert_eq!(line.lines().count(), 1);
        assert_eq!(line, "::warning::subject%0A::error::pwned");
    }

    #[test]
    fn masks_each_line() {
        assert_eq!(
            add_mask_lines("a\nb\n"),
            vec!["::add-mask::a", "::add-mask::b"]
        );
    }

    #[test]
    fn single_and_multi_line_outputs() {
        assert_eq!(
            format_output("version", "1.2.3").unwrap(),
            "version=1.2.3\n"
        );
        let out = format_output("notes", "line1\nline2").unwrap();
        let mut lines = out.lines();
        let head = lines.next().unwrap();
        let delim = head.strip_prefix("notes<<").unwrap();
        assert!(delim.starts_with("ghadelimiter_"));
        assert_eq!(lines.next(), Some("line1"));
        assert_eq!(lines.next(), Some("line2"));
        assert_eq!(lines.next(), Some(delim));
        assert!(format_output("a=b", "x").is_err());
    }

    #[test]
    fn summary_stays_under_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.md");
        append_summary(&path, &"x".repeat(SUMMARY_LIMIT - 10)).unwrap();
        append_summary(&path, &"y".repeat(1000)).unwrap();
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        assert!(len <= SUMMARY_LIMIT, "{len}");
    }
}
