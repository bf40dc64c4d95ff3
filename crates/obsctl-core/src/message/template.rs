//! Template variables: one documented set, `{{name}}` syntax (spaces
//! inside the braces allowed), the same for inline text (`--title`,
//! `--text`, `--field`, `--link` URLs) and payload files. An unknown name is
//! an error; a known name without a value renders as an empty string; braces
//! around anything that is not a name are left alone.
//!
//! Substitution never pastes text into JSON: payload files are parsed
//! first and variables are substituted inside string values, escaped for
//! the target.

use std::collections::BTreeMap;

/// The variables, with what they hold.
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "version",
        "the release version (`--var version=…`, else the tag of the workflow run)",
    ),
    (
        "environment",
        "the deployment environment (`--var environment=…`, else OBSCTL_ENVIRONMENT)",
    ),
    ("sha", "the commit SHA (`--sha`, GITHUB_SHA, CI_COMMIT_SHA)"),
    ("short_sha", "the first 7 characters of the SHA"),
    (
        "actor",
        "who triggered the run (`--actor`, GITHUB_ACTOR, GITLAB_USER_LOGIN)",
    ),
    ("run_url", "the link to the CI run"),
    ("repository", "owner/name"),
    (
        "ref",
        "the branch or tag name (`--ref-name`, GITHUB_REF_NAME, CI_COMMIT_REF_NAME)",
    ),
    ("event", "the `--event` of the message"),
    ("severity", "the `--severity` of the message"),
    ("title", "the rendered `--title` (payload files only)"),
    ("text", "the rendered `--text` (payload files only)"),
];

/// Whether `name` is a documented template variable.
pub fn is_known(name: &str) -> bool {
    VARIABLES.iter().any(|(n, _)| *n == name)
}

/// Values for the variables; only known names may be set.
#[derive(Clone, Debug, Default)]
pub struct Vars(BTreeMap<&'static str, String>);

impl Vars {
    /// No variables set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set a known variable (`false` for an unknown name). A blank value
    /// leaves it unset.
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> bool {
        let Some((key, _)) = VARIABLES.iter().find(|(n, _)| *n == name) else {
            return false;
        };
        let value = value.into();
        if value.trim().is_empty() {
            self.0.remove(key);
        } else {
            self.0.insert(key, value);
        }
        true
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown template variable {{{{{name}}}}}: known variables are {}",
    known()
)]
/// A template named a variable that is not set.
pub struct UnknownVariable {
    /// The variable's name.
    pub name: String,
}

fn known() -> String {
    VARIABLES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Substitute `{{name}}` in `template`, passing each value through
/// `escape` (identity for inline text, which the builders escape later).
/// `{{` without a closing `}}`, or around something that is not a name
/// (`{{ .Values.image }}`), is left as it is; an unknown name is an error.
pub fn render(
    template: &str,
    vars: &Vars,
    escape: &dyn Fn(&str) -> String,
) -> Result<String, UnknownVariable> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = after[..end].trim();
        if !is_identifier(name) {
            // Not a variable (`{{ .Values.x }}` in a commit message): literal.
            // Go on from the second brace, so that `{{{title}}}` is a brace
            // around a variable rather than literal text.
            out.push('{');
            rest = &rest[start + 1..];
            continue;
        }
        if !is_known(name) {
            return Err(UnknownVariable {
                name: name.to_string(),
            });
        }
        if let Some(v) = vars.get(name) {
            out.push_str(&escape(v));
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_known_variables() {
        let mut vars = Vars::new();
        assert!(vars.set("version", "1.2.3"));
        assert!(vars.set("sha", "abc"));
        assert!(!vars.set("nope", "x"));
        let id = |s: &str| s.to_string();
        assert_eq!(
            render("v{{version}} at {{ sha }} by {{actor}}", &vars, &id).unwrap(),
            "v1.2.3 at abc by "
        );
        assert_eq!(render("a {{ b", &vars, &id).unwrap(), "a {{ b");
        assert_eq!(
            render("{{ .Values.x }} {{}} {{version}}", &vars, &id).unwrap(),
            "{{ .Values.x }} {{}} 1.2.3"
        );
        let err = render("{{bogus}}", &vars, &id).unwrap_err();
        assert!(err.to_string().contains("{{bogus}}"), "{err}");
        let upper = |s: &str| s.to_uppercase();
        assert_eq!(render("{{version}}x", &vars, &upper).unwrap(), "1.2.3x");
    }

    #[test]
    fn extra_braces_around_a_variable() {
        // Found by fuzzing (fuzz/corpus/template/extra-braces): the
        // leftmost `{{` of `{{{title}}` is not a variable, the next one is.
        let mut vars = Vars::new();
        vars.set("title", "T");
        let id = |s: &str| s.to_string();
        assert_eq!(render("{{{title}}}", &vars, &id).unwrap(), "{T}");
        assert_eq!(render("{{{{title}}}}", &vars, &id).unwrap(), "{{T}}");
        assert_eq!(render("{{{ .x }}", &vars, &id).unwrap(), "{{{ .x }}");
        assert_eq!(render("{{{", &vars, &id).unwrap(), "{{{");
    }

    #[test]
    fn values_are_not_rendered_again() {
        let mut vars = Vars::new();
        vars.set("actor", "{{version}}");
        vars.set("version", "1");
        let id = |s: &str| s.to_string();
        assert_eq!(render("{{actor}}", &vars, &id).unwrap(), "{{version}}");
    }
}
