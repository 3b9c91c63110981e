//! Domain chart specs to plotly figures. Plain functions, tested on the
//! server; the browser mounts the result.

use domain::chart::{AxisFormat, BarSeries, Chart, ChartKind, Series, XValues};
use plotly::{
    Bar, Configuration, Layout, Plot, Scatter,
    common::{DashType, Font, Line, Marker, MarkerSymbol, Mode, Title},
    layout::{Annotation, Axis, BarMode, Legend, Margin, Shape, ShapeLine, ShapeType},
};

/// Draws a plot into the element with `id`. plotly.js answers with a
/// promise, or with nothing when it cannot draw; nothing waits on it, so
/// neither is an error here.
#[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
pub fn draw(id: &str, plot: &Plot) {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_namespace = Plotly, js_name = newPlot)]
        fn new_plot(id: &str, figure: &JsValue) -> Result<JsValue, JsValue>;
    }
    if let Err(e) = new_plot(id, &plot.to_js_object()) {
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

/// The plotly figure for a chart of any kind.
pub fn plot(chart: &Chart) -> Plot {
    let mut plot = Plot::new();
    let values = |v: &[Option<f64>]| -> Vec<Option<f64>> {
        match chart.y_format {
            AxisFormat::Percent => v
                .iter()
                .map(|v| v.map(|v| (v * 1000.0).round() / 10.0))
                .collect(),
            AxisFormat::Count => v.to_vec(),
        }
    };
    match &chart.kind {
        ChartKind::Lines(series) => {
            for s in series {
                add_line(&mut plot, s, values(&s.y));
            }
        }
        ChartKind::Bars { categories, series } => {
            let x: Vec<String> = categories.iter().map(|c| chart_text(c)).collect();
            for BarSeries {
                name,
                colour,
                values: v,
            } in series
            {
                plot.add_trace(
                    Bar::new(x.clone(), values(v))
                        .name(chart_text(name))
                        .marker(Marker::new().color(colour.clone())),
                );
            }
        }
    }
    if !chart.targets.is_empty() {
        let x: Vec<String> = chart
            .targets
            .iter()
            .map(|t| t.day.format("%Y-%m-%d").to_string())
            .collect();
        let y: Vec<f64> = chart.targets.iter().map(|t| t.value).collect();
        let y = values(&y.into_iter().map(Some).collect::<Vec<_>>());
        let text: Vec<String> = chart.targets.iter().map(|t| chart_text(&t.label)).collect();
        plot.add_trace(
            Scatter::new(x, y)
                .name("Wave targets")
                .mode(Mode::Markers)
                .text_array(text)
                .marker(
                    Marker::new()
                        .symbol(MarkerSymbol::Diamond)
                        .size(11)
                        .color("#000000"),
                ),
        );
    }
    let y_axis = Axis::new()
        .title(Title::with_text(chart_text(&chart.y_title)))
        .zero_line(true);
    let y_axis = match chart.y_format {
        AxisFormat::Percent => y_axis.range(vec![0.0, 100.0]).tick_suffix("%"),
        AxisFormat::Count => y_axis,
    };
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(chart_text(&chart.title)))
            .x_axis(Axis::new().title(Title::with_text(chart_text(&chart.x_title))))
            .y_axis(y_axis)
            .bar_mode(BarMode::Group)
            .legend(Legend::new())
            .margin(Margin::new().left(60).right(20).top(50).bottom(50))
            .height(360)
            .shapes(chart.markers.iter().map(marker_line).collect())
            .annotations(chart.markers.iter().map(marker_label).collect()),
    );
    // Follow the window's width (a tablet turned, a window narrowed).
    plot.set_configuration(Configuration::new().responsive(true));
    plot
}

/// A marked day as a dotted line from the bottom of the plot to its top.
fn marker_line(m: &domain::chart::Marker) -> Shape {
    let day = m.day.format("%Y-%m-%d").to_string();
    Shape::new()
        .shape_type(ShapeType::Line)
        .x_ref("x")
        .y_ref("paper")
        .x0(day.clone())
        .x1(day)
        .y0(0.0)
        .y1(1.0)
        .line(
            ShapeLine::new()
                .color("#5f6b7a")
                .width(1.0)
                .dash(DashType::Dot),
        )
}

/// A marked day's label, along its line inside the top of the plot.
fn marker_label(m: &domain::chart::Marker) -> Annotation {
    Annotation::new()
        .x(m.day.format("%Y-%m-%d").to_string())
        .x_ref("x")
        .y(1.0)
        .y_ref("paper")
        .y_anchor(plotly::common::Anchor::Top)
        .x_anchor(plotly::common::Anchor::Right)
        .text_angle(-90.0)
        .show_arrow(false)
        .background_color("rgba(255, 255, 255, 0.85)")
        .font(Font::new().size(10).color("#4a5563"))
        .text(chart_text(&m.label))
}

fn add_line(plot: &mut Plot, s: &Series, y: Vec<Option<f64>>) {
    let line = Line::new().color(s.colour.clone()).width(2.0);
    let name = chart_text(&s.name);
    match &s.x {
        XValues::Dates(days) => {
            let x: Vec<String> = days
                .iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect();
            plot.add_trace(Scatter::new(x, y).name(name).mode(Mode::Lines).line(line));
        }
        XValues::DaysSinceGoLive(days) => {
            plot.add_trace(
                Scatter::new(days.clone(), y)
                    .name(name)
                    .mode(Mode::Lines)
                    .line(line),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        };
        let json: serde_json::Value =
            serde_json::from_str(&plot(&chart).to_json()).expect("plot json");
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
                day: "2026-12-31".parse().expect("date"),
                value: 0.8,
                label: "Wave <1> target".into(),
            }],
            ..chart.clone()
        };
        let json: serde_json::Value =
            serde_json::from_str(&plot(&targeted).to_json()).expect("plot json");
        let target = &json["data"][2];
        assert_eq!(target["name"], "Wave targets");
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
        };
        let json: serde_json::Value =
            serde_json::from_str(&plot(&chart).to_json()).expect("plot json");
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
        };
        let json: serde_json::Value =
            serde_json::from_str(&plot(&chart).to_json()).expect("plot json");
        let bar = &json["data"][0];
        assert_eq!(bar["type"], "bar");
        assert_eq!(bar["x"][1], "&lt;i&gt;25–34&lt;/i&gt;");
        assert_eq!(bar["y"][0], 50.0);
        assert!(bar["y"][1].is_null());
        assert_eq!(bar["marker"]["color"], "#0072B2");
    }
}
