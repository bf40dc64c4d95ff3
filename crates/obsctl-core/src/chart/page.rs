//! The page shell shared by `report` and `dora report`: one self-contained
//! HTML document (no script, font, image or stylesheet from anywhere),
//! responsive (fluid up to 1,200 px, one column under 640 px), light and
//! dark from the same CSS variables as the charts.

use super::{css, esc};

/// The page's own styles (layout, cards, tables, score bars, bands).
pub const PAGE_CSS: &str = "*{box-sizing:border-box}\
html{background:var(--bg);color:var(--fg)}\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;padding:1.25em clamp(.75em,3vw,2em) 3em}\
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.3em;margin:1.6em 0 .4em;padding-top:.6em;border-top:1px solid var(--border)}\
h3{font-size:1.05em;margin:1.4em 0 .4em}h2 small,.muted{color:var(--muted);font-weight:normal}\
a{color:var(--s0)}\
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:.75em;margin:.75em 0}\
.card{background:var(--card);border:1px solid var(--border);border-radius:8px;padding:.6em .8em}\
.card .k{font-size:.8em;color:var(--muted)}.card .v{font-size:1.35em;font-weight:600}.card .s{font-size:.8em;color:var(--muted)}\
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:0 1.5em}\
.tw{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;width:100%;font-size:.92em}th,td{border-bottom:1px solid var(--border);padding:.35em .6em;text-align:left;vertical-align:top}\
th{color:var(--muted);font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
.note{background:var(--card);border-left:3px solid var(--warn);padding:.5em .8em;margin:.6em 0}\
.score{display:inline-block;width:6em;height:.55em;background:var(--grid);border-radius:4px;vertical-align:middle;margin-right:.5em;overflow:hidden}\
.score i{display:block;height:100%;background:var(--s0)}.sc{white-space:nowrap}\
.elite{color:var(--good)}.high{color:var(--ok)}.medium{color:var(--warn)}.low{color:var(--bad)}\
.up{color:var(--good)}.down{color:var(--bad)}\
footer{margin-top:3em;color:var(--muted);font-size:.85em}";

/// A whole page: `<head>` with both stylesheets, then `body` (already HTML).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"color-scheme\" content=\"light dark\">\
<title>{}</title><style>{}{}</style></head><body>{}</body></html>\n",
        esc(title),
        css(),
        PAGE_CSS,
        body
    )
}

/// A 0–10 score as a bar and its value: `▇▇▇▇▁ 8.0`.
pub fn score_bar(score: f64) -> String {
    format!(
        "<span class=\"sc\"><span class=\"score\" title=\"{score:.1} of 10\"><i style=\"width:{:.0}%\"></i></span>{score:.1}</span>",
        (score * 10.0).clamp(0.0, 100.0)
    )
}

/// A card: key, value, small print.
pub fn card(key: &str, value: &str, small: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div><div class=\"s\">{}</div></div>",
        esc(key),
        esc(value),
        esc(small)
    )
}

/// HTML-escape untrusted text.
pub fn escape(s: &str) -> String {
    esc(s)
}
