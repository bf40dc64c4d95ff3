use super::*;

const D: i64 = 86_400;
// 2026-03-01T00:00:00Z
const MAR1: i64 = 1_772_323_200;

fn chart(series: Vec<Series>, scale: Scale) -> TimeChart {
    TimeChart {
        id: "t".into(),
        title: "p95 latency".into(),
        y_title: "p95 latency (ms)".into(),
        format: ValueFormat::Number(" ms"),
        scale,
        style: Style::Line,
        bucket_secs: D,
        since: MAR1,
        until: MAR1 + 30 * D,
        series,
        markers: vec![Marker {
            at: MAR1 + 10 * D + 3600,
            label: "deploy v1.2.0".into(),
        }],
        empty_reason: "no transactions".into(),
        y_max: None,
    }
}

fn daily(values: &[Option<f64>]) -> Series {
    Series {
        name: "p95".into(),
        points: values
            .iter()
            .enumerate()
            .map(|(i, v)| (MAR1 + i as i64 * D, *v))
            .collect(),
    }
}

#[test]
fn axis_titles_ticks_and_hover_are_in_the_svg() {
    let html = chart(
        vec![daily(&[Some(120.0), Some(180.0), None, Some(95.0)])],
        Scale::Linear,
    )
    .render();
    assert!(html.contains(">p95 latency (ms)</text>"), "{html}");
    assert!(html.contains(">Date (2026, UTC)</text>"), "{html}");
    assert!(html.contains(">Mar 2</text>"), "{html}");
    assert!(html.contains(">Mar 30</text>"), "{html}");
    // y ticks are round numbers with the unit.
    assert!(html.contains(">200 ms</text>"), "{html}");
    // hover values, and the marker's hover text.
    assert!(
        html.contains("<title>p95: 2026-03-02 — 180 ms</title>"),
        "{html}"
    );
    assert!(
        html.contains("<title>deploy v1.2.0 — 2026-03-11 01:00 UTC</title>"),
        "{html}"
    );
    // responsive: no fixed size, two variants with a viewBox.
    assert_eq!(html.matches("<svg class=").count(), 2);
    assert!(html.contains("viewBox=\"0 0 600 280\""));
    assert!(!html.contains("width=\"600\""));
}

#[test]
fn missing_values_are_gaps_not_zeros() {
    let html = chart(
        vec![daily(&[
            Some(100.0),
            Some(110.0),
            None,
            Some(120.0),
            Some(130.0),
        ])],
        Scale::Linear,
    )
    .render();
    // Two runs → two polylines per variant; no hover for the missing day.
    assert_eq!(
        html.matches("stroke=\"#0969DA\" stroke-width=\"2\"")
            .count(),
        4,
        "{html}"
    );
    assert!(!html.contains("2026-03-03 —"));
}

#[test]
fn no_data_says_so_without_axes() {
    let html = chart(vec![daily(&[None, None])], Scale::Linear).render();
    assert!(html.contains("no data: no transactions"));
    assert!(!html.contains("<svg"));
}

#[test]
fn log_scale_has_duration_ticks() {
    let mut c = chart(
        vec![daily(&[Some(90.0), Some(7200.0), Some(3.0 * 86_400.0)])],
        Scale::Log,
    );
    c.format = ValueFormat::Duration;
    c.y_title = "Lead time (log scale)".into();
    let html = c.render();
    for t in [">1m</text>", ">1h</text>", ">1d</text>", ">7d</text>"] {
        assert!(html.contains(t), "{t} in {html}");
    }
    assert!(html.contains("— 2h</title>"));
}

#[test]
fn ticks_carry_the_year_across_new_year() {
    let since = 1_766_880_000; // 2025-12-28
    let t = time_ticks(since, since + 10 * D, 7);
    assert_eq!(t.format, ticks::TickFormat::IsoDate);
    assert_eq!(t.title, "Date (UTC)");
    let labels: Vec<String> = t.at.iter().map(|&x| ticks::label(x, t.format)).collect();
    assert!(
        labels.contains(&"2026-01-01".to_string()) || labels.contains(&"2025-12-30".to_string()),
        "{labels:?}"
    );
    let c = TimeChart {
        since,
        until: since + 10 * D,
        ..chart(
            vec![Series {
                name: "x".into(),
                points: vec![(since, Some(1.0))],
            }],
            Scale::Linear,
        )
    };
    assert!(c.render().contains(">2025-12-"));
}

#[test]
fn short_windows_tick_hours() {
    let t = time_ticks(MAR1, MAR1 + D, 7);
    assert_eq!(t.title, "Time (2026, UTC)");
    assert!(t.at.len() <= 7 && t.at.len() >= 3, "{:?}", t.at);
    assert_eq!(ticks::label(t.at[1], t.format), "Mar 1 06:00");
}

#[test]
fn long_windows_tick_months() {
    let t = time_ticks(MAR1 - 400 * D, MAR1, 7);
    assert_eq!(t.format, ticks::TickFormat::MonthYear);
    assert!(t.at.len() <= 7);
}

#[test]
fn bars_have_hover_and_skip_none() {
    let mut c = chart(vec![daily(&[Some(2.0), None, Some(0.0)])], Scale::Linear);
    c.style = Style::Bars;
    let html = c.render();
    assert!(html.contains("<title>p95: 2026-03-01 — 2 ms</title>"));
    assert!(html.contains("<title>p95: 2026-03-03 — 0 ms</title>"));
    assert!(!html.contains("2026-03-02 —"));
}

#[test]
fn untrusted_text_is_escaped() {
    let mut c = chart(vec![daily(&[Some(1.0)])], Scale::Linear);
    c.title = "<script>".into();
    c.markers[0].label = "v<1>&".into();
    let html = c.render();
    assert!(!html.contains("<script>"));
    assert!(html.contains("v&lt;1&gt;&amp;"));
}

#[test]
fn numbers_and_durations() {
    assert_eq!(number(1234567.0), "1\u{2009}234\u{2009}567");
    assert_eq!(number(12.345), "12.3");
    assert_eq!(number(0.1234), "0.123");
    assert_eq!(number(2.0), "2");
    assert_eq!(duration_label(3_600.0), "1h");
    assert_eq!(duration_label(3_900.0), "1h 5m");
    assert_eq!(duration_label(7.0 * 86_400.0), "7d");
    assert_eq!(duration_label(28.0 * 86_400.0), "4w");
    assert_eq!(nice_linear_for_test(730.0), (800.0, 200.0));
}

fn nice_linear_for_test(v: f64) -> (f64, f64) {
    ticks::nice_linear(v)
}

#[test]
fn css_maps_drawn_colours_to_variables() {
    let css = css();
    assert!(css.contains("figure.chart [stroke=\"#0969DA\"]{stroke:var(--s0)}"));
    assert!(css.contains("prefers-color-scheme: dark"));
}
