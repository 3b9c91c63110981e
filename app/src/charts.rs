//! Domain chart specs to plotly.js figures: plain functions from a
//! [`Chart`] to the figure's JSON (data, layout, config), tested on the
//! server; the browser hands the result to plotly.js. Written with
//! `serde_json` rather than a typed plotly crate, which put some 100 KB of
//! serialisers into the wasm for the few attributes used here.

use domain::chart::{AxisFormat, BarSeries, Chart, ChartKind, Marker, Range, Series, XPoint};
use serde_json::{Value, json};

/// Draws a figure into the element with `id`. plotly.js answers with a
/// promise, or with nothing when it cannot draw; nothing waits on it, so
/// neither is an error here.
#[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
pub fn draw(id: &str, figure: &Value) {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_namespace = Plotly, js_name = newPlot)]
        fn new_plot(id: &str, figure: &JsValue) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
        fn parse(text: &str) -> Result<JsValue, JsValue>;
    }
    let drawn = parse(&figure.to_string()).and_then(|figure| new_plot(id, &figure));
    if let Err(e) = drawn {
        leptos::logging::warn!("chart {id} not drawn: {e:?}");
    }
}

/// Text for plotly: it renders a subset of HTML (links among it) in names,
/// titles and hover text, so every text from data (a unit's name, say) is
/// escaped here, in the one place every chart's text passes through.
pub fn chart_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The plotly.js figure for a chart of any kind.
pub fn plot(chart: &Chart) -> Value {
    let values = |v: &[Option<f64>]| -> Vec<Option<f64>> {
        match chart.y_format {
            AxisFormat::Percent => v
                .iter()
                .map(|v| v.map(|v| (v * 1000.0).round() / 10.0))
                .collect(),
            AxisFormat::Count => v.to_vec(),
        }
    };
    let mut data: Vec<Value> = match &chart.kind {
        ChartKind::Lines(series) => series.iter().map(|s| line(s, values(&s.y))).collect(),
        ChartKind::Bars { categories, series } => {
            let x: Vec<String> = categories.iter().map(|c| chart_text(c)).collect();
            series
                .iter()
                .map(
                    |BarSeries {
                         name,
                         colour,
                         values: v,
                     }| {
                        json!({
                            "type": "bar",
                            "name": chart_text(name),
                            "x": x,
                            "y": values(v),
                            "marker": { "color": colour },
                        })
                    },
                )
                .collect()
        }
    };
    if !chart.targets.is_empty() {
        let y: Vec<Option<f64>> = chart.targets.iter().map(|t| Some(t.value)).collect();
        data.push(json!({
            "type": "scatter",
            "name": "Targets",
            "mode": "markers",
            "x": chart.targets.iter().map(|t| x_value(t.at)).collect::<Vec<_>>(),
            "y": values(&y),
            "text": chart.targets.iter().map(|t| chart_text(&t.label)).collect::<Vec<_>>(),
            "marker": { "symbol": "diamond", "size": 11, "color": "#000000" },
        }));
    }
    data.extend(
        chart
            .ranges
            .iter()
            .map(|r| range(r, values(&[Some(r.value); 2]))),
    );
    let mut y_axis = json!({
        "title": { "text": chart_text(&chart.y_title) },
        "zeroline": true,
    });
    if chart.y_format == AxisFormat::Percent {
        y_axis["range"] = json!([0.0, 100.0]);
        y_axis["ticksuffix"] = json!("%");
    }
    json!({
        "data": data,
        "layout": {
            "title": { "text": chart_text(&chart.title) },
            "xaxis": { "title": { "text": chart_text(&chart.x_title) } },
            "yaxis": y_axis,
            "barmode": "group",
            "legend": {},
            "margin": { "l": 60, "r": 20, "t": 50, "b": 50 },
            "height": 360,
            "shapes": chart.markers.iter().map(marker_line).collect::<Vec<_>>(),
            "annotations": chart.markers.iter().map(marker_label).collect::<Vec<_>>(),
        },
        // Follow the window's width (a tablet turned, a window narrowed).
        "config": { "responsive": true },
    })
}

/// One place on the x axis as plotly reads it: a date, or a number of
/// days.
fn x_value(at: XPoint) -> Value {
    match at {
        XPoint::Date(d) => d.format("%Y-%m-%d").to_string().into(),
        XPoint::SinceGoLive(t) => t.into(),
    }
}

/// A line over calendar days or days since go-live.
fn line(s: &Series, y: Vec<Option<f64>>) -> Value {
    let x: Vec<Value> = (0..y.len()).map(|i| x_value(s.x.at(i))).collect();
    json!({
        "type": "scatter",
        "name": chart_text(&s.name),
        "mode": "lines",
        "x": x,
        "y": y,
        "line": { "color": s.colour, "width": 2.0 },
    })
}

/// A stretch of the x axis at one value, as a thick grey bar.
fn range(r: &Range, y: Vec<Option<f64>>) -> Value {
    json!({
        "type": "scatter",
        "name": chart_text(&r.label),
        "mode": "lines",
        "x": [x_value(r.from), x_value(r.to)],
        "y": y,
        "line": { "color": "rgba(0, 0, 0, 0.35)", "width": 10.0 },
    })
}

/// A marked day as a dotted line from the bottom of the plot to its top.
fn marker_line(m: &Marker) -> Value {
    let day = m.day.format("%Y-%m-%d").to_string();
    json!({
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": day,
        "x1": day,
        "y0": 0.0,
        "y1": 1.0,
        "line": { "color": "#5f6b7a", "width": 1.0, "dash": "dot" },
    })
}

/// A marked day's label, along its line inside the top of the plot.
fn marker_label(m: &Marker) -> Value {
    json!({
        "x": m.day.format("%Y-%m-%d").to_string(),
        "xref": "x",
        "y": 1.0,
        "yref": "paper",
        "yanchor": "top",
        "xanchor": "right",
        "textangle": -90.0,
        "showarrow": false,
        "bgcolor": "rgba(255, 255, 255, 0.85)",
        "font": { "size": 10, "color": "#4a5563" },
        "text": chart_text(&m.label),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::chart::XValues;

    #[test]
    fn one_trace_per_series_with_percent_values_and_axis_titles() {
        let chart = Chart {
            title: "Adoption rate by tool".into(),
            x_title: "Day".into(),
            y_title: "Adoption (%)".into(),
            y_format: AxisFormat::Percent,
            kind: ChartKind::Lines(vec![
                Series {
                    name: "Box".into(),
                    colour: "#0072B2".into(),
                    x: XValues::Dates(vec!["2026-01-01".parse().expect("date")]),
                    y: vec![Some(0.4567)],
                },
                Series {
                    name: "Teams".into(),
                    colour: "#E69F00".into(),
                    x: XValues::Dates(vec!["2026-01-01".parse().expect("date")]),
                    y: vec![None],
                },
            ]),
            markers: vec![domain::chart::Marker {
                day: "2026-03-01".parse().expect("date"),
                label: "Box <i>wave</i> live".into(),
            }],
            targets: Vec::new(),
            ranges: Vec::new(),
            caption: String::new(),
        };
        let json = plot(&chart);
        let data = json["data"].as_array().expect("traces");
        assert_eq!(data.len(), 2, "a marked day is no trace");
        // The marked day: a dotted line across the plot and its label.
        let line = &json["layout"]["shapes"][0];
        assert_eq!(line["x0"], "2026-03-01");
        assert_eq!(line["x1"], "2026-03-01");
        assert_eq!(line["yref"], "paper");
        assert_eq!(line["line"]["dash"], "dot");
        let label = &json["layout"]["annotations"][0];
        assert_eq!(label["x"], "2026-03-01");
        assert_eq!(label["text"], "Box &lt;i&gt;wave&lt;/i&gt; live");
        assert_eq!(data[0]["name"], "Box");
        assert_eq!(data[0]["y"][0], 45.7);
        assert!(data[1]["y"][0].is_null());
        assert_eq!(json["layout"]["yaxis"]["title"]["text"], "Adoption (%)");
        assert_eq!(json["layout"]["yaxis"]["ticksuffix"], "%");
        // A wave's target: one more trace, a point at its day and value.
        let targeted = Chart {
            targets: vec![domain::chart::TargetPoint {
                at: domain::chart::XPoint::Date("2026-12-31".parse().expect("date")),
                value: 0.8,
                label: "Wave <1> target".into(),
            }],
            ..chart.clone()
        };
        let json = plot(&targeted);
        let target = &json["data"][2];
        assert_eq!(target["name"], "Targets");
        assert_eq!(target["mode"], "markers");
        assert_eq!(target["x"][0], "2026-12-31");
        assert_eq!(target["y"][0], 80.0);
        assert_eq!(target["text"][0], "Wave &lt;1&gt; target");
        assert_eq!(json["config"]["responsive"], true, "follows the window");
    }

    #[test]
    fn text_from_data_never_becomes_markup_in_a_chart() {
        let chart = Chart {
            title: "Waves <b>".into(),
            x_title: "Days".into(),
            y_title: "Adoption".into(),
            y_format: AxisFormat::Count,
            kind: ChartKind::Lines(vec![Series {
                name: "<a href=\"https://evil.example/x\">Click</a> & co".into(),
                colour: "#0072B2".into(),
                x: XValues::DaysSinceGoLive(vec![0]),
                y: vec![Some(1.0)],
            }]),
            markers: Vec::new(),
            targets: Vec::new(),
            ranges: Vec::new(),
            caption: String::new(),
        };
        let json = plot(&chart);
        assert_eq!(
            json["data"][0]["name"],
            "&lt;a href=&quot;https://evil.example/x&quot;&gt;Click&lt;/a&gt; &amp; co"
        );
        assert_eq!(json["layout"]["title"]["text"], "Waves &lt;b&gt;");
    }

    #[test]
    fn bars_are_one_trace_per_series_with_a_gap_where_a_band_is_hidden() {
        let chart = Chart {
            title: "Adoption rate by age band".into(),
            x_title: "Age band".into(),
            y_title: "Adoption (%)".into(),
            y_format: AxisFormat::Percent,
            kind: ChartKind::Bars {
                categories: vec!["Under 25".into(), "<i>25–34</i>".into()],
                series: vec![BarSeries {
                    name: "C01".into(),
                    colour: "#0072B2".into(),
                    values: vec![Some(0.5), None],
                }],
            },
            markers: Vec::new(),
            targets: Vec::new(),
            ranges: Vec::new(),
            caption: String::new(),
        };
        let json = plot(&chart);
        let bar = &json["data"][0];
        assert_eq!(bar["type"], "bar");
        assert_eq!(bar["x"][1], "&lt;i&gt;25–34&lt;/i&gt;");
        assert_eq!(bar["y"][0], 50.0);
        assert!(bar["y"][1].is_null());
        assert_eq!(bar["marker"]["color"], "#0072B2");
    }
}
