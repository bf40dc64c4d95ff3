//! Repository identity as a path, not a pair.
//!
//! GitHub names a repository `owner/name`; GitLab by its full namespace
//! path (`group/sub/web`, nested groups allowed); Bitbucket `workspace/repo`;
//! Azure DevOps `organization/project/_git/repo`. Sentry's integrations name
//! a repository the same way its host does, so the path of the remote is
//! what Sentry's `commits[].repository` needs:
//!
//! | host | remote | Sentry repository |
//! |---|---|---|
//! | GitHub (and GHES) | `git@github.com:acme/web.git` | `acme/web` |
//! | GitLab (and self-hosted) | `git@gitlab.com:group/sub/web.git` | `group/sub/web` |
//! | Bitbucket | `https://bitbucket.org/team/web.git` | `team/web` |
//! | Azure DevOps | `https://dev.azure.com/org/proj/_git/web` | `org/proj/web` |

/// A repository as a remote URL names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRepo {
    /// The host, lower-cased, without user or port.
    pub host: String,
    /// The path segments after the host, without `.git` (for Azure DevOps:
    /// without `_git` and the `v3` SSH prefix).
    pub segments: Vec<String>,
}

impl RemoteRepo {
    /// Parse a git remote URL: `git@host:path.git`, `https://host[:port]/path(.git)`,
    /// `ssh://git@host[:port]/path.git`. `None` for local paths and URLs without
    /// at least two path segments.
    pub fn parse(url: &str) -> Option<RemoteRepo> {
        let url = url.trim();
        let (host, path) = if let Some((_, rest)) = url.split_once("://") {
            let (authority, path) = rest.split_once('/')?;
            (authority, path)
        } else if let Some((host, path)) = url.split_once(':') {
            // scp-like: [user@]host:path (not a Windows drive or a local path)
            if host.contains('/') || host.len() < 2 {
                return None;
            }
            (host, path)
        } else {
            return None;
        };
        let host = host.rsplit('@').next()?;
        let host = host.split(':').next()?.trim().to_ascii_lowercase();
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        let path = path.trim_matches(|c: char| c == '/' || c.is_whitespace());
        let path = path.strip_suffix(".git").unwrap_or(path);
        let mut segments: Vec<String> = path.split('/').map(str::to_string).collect();
        if segments.iter().any(|s| !valid_segment(s)) {
            return None;
        }
        // Azure DevOps: https://dev.azure.com/org/proj/_git/repo,
        // git@ssh.dev.azure.com:v3/org/proj/repo.
        if host.ends_with("dev.azure.com") || host.ends_with("visualstudio.com") {
            if segments.first().is_some_and(|s| s == "v3") {
                segments.remove(0);
            }
            segments.retain(|s| s != "_git");
        }
        if segments.len() < 2 {
            return None;
        }
        Some(RemoteRepo { host, segments })
    }

    /// The full path: `group/sub/web`.
    pub fn path(&self) -> String {
        self.segments.join("/")
    }

    /// GitHub's `owner/name`, when the path has exactly two segments.
    pub fn owner_name(&self) -> Option<(&str, &str)> {
        match self.segments.as_slice() {
            [owner, name] => Some((owner, name)),
            _ => None,
        }
    }

    /// The name Sentry's integration for this host gives the repository
    /// (see the module table).
    pub fn sentry_name(&self) -> String {
        self.path()
    }
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '%' | '+'))
}

/// Check a repository path given by the user (`--sentry-repository`,
/// `CI_PROJECT_PATH`): segments separated by `/`, at least two.
pub fn validate_path(s: &str) -> Result<String, String> {
    let t = s.trim().trim_matches('/');
    let parts: Vec<&str> = t.split('/').collect();
    if parts.len() < 2 || parts.iter().any(|p| !valid_segment(p)) {
        return Err(format!(
            "invalid repository path {s:?}: expected NAMESPACE/NAME (GitLab's nested groups, \
             e.g. group/sub/web, are fine)"
        ));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_every_host() {
        for (url, host, path) in [
            ("git@github.com:acme/web.git", "github.com", "acme/web"),
            ("https://github.com/acme/web", "github.com", "acme/web"),
            (
                "git@gitlab.com:group/sub/web.git",
                "gitlab.com",
                "group/sub/web",
            ),
            (
                "ssh://git@gitlab.example.com:2222/group/sub/deeper/web.git",
                "gitlab.example.com",
                "group/sub/deeper/web",
            ),
            (
                "https://oauth2:tok@gitlab.example.com:8443/g/web.git",
                "gitlab.example.com",
                "g/web",
            ),
            (
                "https://bitbucket.org/team/web.git",
                "bitbucket.org",
                "team/web",
            ),
            (
                "https://dev.azure.com/org/proj/_git/web",
                "dev.azure.com",
                "org/proj/web",
            ),
            (
                "git@ssh.dev.azure.com:v3/org/proj/web",
                "ssh.dev.azure.com",
                "org/proj/web",
            ),
        ] {
            let r = RemoteRepo::parse(url).unwrap_or_else(|| panic!("{url}"));
            assert_eq!((r.host.as_str(), r.path().as_str()), (host, path), "{url}");
            assert_eq!(r.sentry_name(), path);
        }
        assert_eq!(
            RemoteRepo::parse("git@gitlab.com:group/sub/web.git")
                .unwrap()
                .owner_name(),
            None
        );
        assert_eq!(
            RemoteRepo::parse("git@github.com:acme/web.git")
                .unwrap()
                .owner_name(),
            Some(("acme", "web"))
        );
    }

    #[test]
    fn not_remotes() {
        for url in [
            "/srv/git/web.git",
            "C:\\repo",
            "web",
            "https://host/",
            "git@host:one",
            "https://h/a/../b",
        ] {
            assert_eq!(RemoteRepo::parse(url), None, "{url}");
        }
    }

    #[test]
    fn user_paths() {
        assert_eq!(validate_path("group/sub/web").unwrap(), "group/sub/web");
        assert_eq!(validate_path("/acme/web/").unwrap(), "acme/web");
        assert!(validate_path("web").is_err());
        assert!(validate_path("a//b").is_err());
        assert!(validate_path("a/b c").is_err());
    }
}
