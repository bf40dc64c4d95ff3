//! Slack `conversations.list` (bot token; `channels:read`): the channels of
//! [`super::slack::Records::channels`] sorted by name, [`Lists::page_size`]
//! per page, paginated with `response_metadata.next_cursor` ("" at the end).

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Call, Route, State, json_reply};

/// Paging of the Slack list methods.
pub struct Lists {
    pub page_size: usize,
    /// Answer `missing_scope` (needed `channels:read`).
    pub missing_scope: bool,
}

impl Default for Lists {
    fn default() -> Self {
        Lists {
            page_size: 1,
            missing_scope: false,
        }
    }
}

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        "slack.conversations_list",
        "GET",
        "/api/conversations.list",
        list,
    )]
}

fn list(s: &mut State, c: &Call) -> ResponseTemplate {
    let (size, missing) = {
        let l = s.area::<Lists>();
        (l.page_size.max(1), l.missing_scope)
    };
    if missing {
        return json_reply(
            200,
            json!({"ok": false, "error": "missing_scope", "needed": "channels:read"}),
        );
    }
    let mut all: Vec<(String, String)> = s
        .slack
        .channels
        .iter()
        .map(|(n, i)| (n.clone(), i.clone()))
        .collect();
    all.sort();
    let offset: usize = c
        .query("cursor")
        .and_then(|x| x.strip_prefix("page"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let chunk: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(size)
        .map(|(n, i)| json!({"id": i, "name": n, "is_channel": true, "is_archived": false}))
        .collect();
    let next = if offset + size < all.len() {
        format!("page{}", offset + size)
    } else {
        String::new()
    };
    json_reply(
        200,
        json!({"ok": true, "channels": chunk, "response_metadata": {"next_cursor": next}}),
    )
}
