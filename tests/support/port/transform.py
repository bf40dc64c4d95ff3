import sys
root=sys.argv[1]
p=root+'/tests/alerts.rs'
s=open(p).read()
s=s.replace('''mod common;
#[path = "support/sentry_alerts.rs"]
mod sentry_alerts;
''','''mod common;
mod support;
''')
s=s.replace('''use sentry_alerts::{AlertsFake, SLACK_TOKEN, TOKEN};''','''use support::sentry::monitors::{self, Monitors};
use support::{Act, At, Fake, SENTRY_TOKEN as TOKEN, SLACK_TOKEN, once};

/// A read-only snapshot of what the fake holds and saw.
struct Snap {
    detectors: Vec<Value>,
    workflows: Vec<Value>,
    seen: Vec<Req>,
    writes: Vec<String>,
}

struct Req {
    method: String,
    path: String,
    cursor: Option<String>,
    body: Value,
}

impl Snap {
    fn writes(&self) -> Vec<String> {
        self.writes.clone()
    }
}

/// The monitors/alerts view of the one fake.
trait AlertsFake {
    fn with<R>(&self, f: impl FnOnce(&Snap) -> R) -> R;
    fn seed_detector(&self, project: &str, body: Value) -> String;
    fn seed_workflow(&self, body: Value) -> String;
    fn set_scopes(&self, scopes: &[&str]);
}

impl AlertsFake for Fake {
    fn with<R>(&self, f: impl FnOnce(&Snap) -> R) -> R {
        let snap = {
            let mut s = self.state();
            let seen = s
                .seen
                .iter()
                .map(|r| Req {
                    method: r.method.clone(),
                    path: r.path.clone(),
                    cursor: r.query.get("cursor").cloned(),
                    body: r.body.clone(),
                })
                .collect();
            let writes = s.writes();
            let m = s.area::<Monitors>();
            Snap {
                detectors: m.detectors.clone(),
                workflows: m.workflows.clone(),
                seen,
                writes,
            }
        };
        f(&snap)
    }

    fn seed_detector(&self, project: &str, body: Value) -> String {
        Monitors::seed_detector(&mut self.state(), project, body)
    }

    fn seed_workflow(&self, body: Value) -> String {
        Monitors::seed_workflow(&mut self.state(), body)
    }

    fn set_scopes(&self, scopes: &[&str]) {
        self.state().area::<Monitors>().scopes = scopes.iter().map(|s| s.to_string()).collect();
    }
}''')
s=s.replace('fn cmd(fake: &AlertsFake, config: &Path)','fn cmd(fake: &Fake, config: &Path)')
s=s.replace('''        .env("SLACK_API_URL", format!("{}/api", fake.uri()))''','''        .env("SLACK_API_URL", fake.slack_api_url())''')
a=s.index('async fn fake_with_slack() -> AlertsFake {')
b=s.index('fn plan_json')
s=s[:a]+'''async fn fake_with_slack() -> Fake {
    let fake = Fake::start().await;
    fake.state().area::<Monitors>().slack_integration();
    fake.state().slack.only_channels(&[
        ("general", "C0GENERAL1"),
        ("incidents", "C0INCIDENT"),
        ("monitoring", "C0MONITOR1"),
    ]);
    fake
}

'''+s[b:]
s=s.replace('''    assert!(fake.with(|s| s.rejected.is_empty()));''','''    assert!(fake.state().violations.is_empty());''')
s=s.replace('sentry_alerts::violations(','common::contract::errors(')
s=s.replace('.any(|r| r.path.ends_with(list) && r.query.contains(last))','.any(|r| r.path.ends_with(list) && r.cursor.as_deref() == Some(last))')
s=s.replace('("/detectors/", "cursor=0%3A4%3A0")','("/detectors/", "0:4:0")').replace('("/workflows/", "cursor=0%3A2%3A0")','("/workflows/", "0:2:0")')
s=s.replace('''    fake.with(|s| s.scopes = vec!["alerts:read".into(), "org:read".into()]);''','''    fake.set_scopes(&["alerts:read", "org:read"]);''')
s=s.replace('''    fake.with(|s| s.scopes = vec!["org:read".into()]);''','''    fake.set_scopes(&["org:read"]);''')
s=s.replace('''    let fake = AlertsFake::start().await;''','''    let fake = Fake::start().await;''')
s=s.replace('''sentry_alerts::contracts_dir().join("sentry/metric-detector-request.derived.json")''','''common::contract::dir().expect("contracts").join("sentry/metric-detector-request.derived.json")''')
s=s.replace('sentry_alerts::detector_problems(','monitors::detector_problems(')
s=s.replace('''    fake.with(|s| s.lose_create_answers = 1);''','''    fake.rules(vec![once(At::Route("sentry.create_detector"), Act::RecordThenStatus(502))]);''')
s=s.replace('''fn fake_rejects_what_sentry_rejects() {
''','''fn fake_rejects_what_sentry_rejects() {
    if !common::contract::available() {
        eprintln!("skipped: the contracts (../shared/contracts, OBSCTL_CONTRACTS_DIR) are not there");
        return;
    }
''')
for bad in ['sentry_alerts','AlertsFake::start','s.rejected','lose_create_answers','s.channels =','cursor=0%3A']:
    if bad in s: print("LEFT:", bad)
open(p,'w').write(s)
for f,line,add in [('tests/support/sentry/mod.rs','pub mod releases;','pub mod monitors;\npub mod releases;'),
                   ('tests/support/sentry/mod.rs','    r.extend(releases::routes());','    r.extend(releases::routes());\n    r.extend(monitors::routes());'),
                   ('tests/support/mod.rs','pub mod slack;\n','pub mod slack;\npub mod slack_conversations;\n'),
                   ('tests/support/mod.rs','    r.extend(slack::routes());','    r.extend(slack::routes());\n    r.extend(slack_conversations::routes());')]:
    q=root+'/'+f
    t=open(q).read()
    if add in t: continue
    assert line in t, (f,line)
    t=t.replace(line,add,1)
    open(q,'w').write(t)
import shutil, os
shutil.copy('/tmp/port/monitors.rs', root+'/tests/support/sentry/monitors.rs')
shutil.copy('/tmp/port/slack_conversations.rs', root+'/tests/support/slack_conversations.rs')
if os.path.exists(root+'/tests/support/sentry_alerts.rs'):
    os.remove(root+'/tests/support/sentry_alerts.rs')
print("ok")
