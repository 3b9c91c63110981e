mod kpi;
mod line_chart;

pub use kpi::KpiTile;
pub use line_chart::LineChartView;
