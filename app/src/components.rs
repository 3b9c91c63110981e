mod band_table;
mod error_note;
mod kpi;
mod line_chart;
mod subject_choices;
mod unit_table;
mod usage_table;
mod user_menu;

pub use band_table::BandSection;
pub use error_note::ErrorNote;
pub use kpi::KpiTile;
pub use line_chart::LineChartView;
pub use subject_choices::SubjectChoices;
pub use unit_table::{SUPPRESSED, UnitTable};
pub use usage_table::UsageSection;
pub use user_menu::UserMenu;
