mod band_table;
mod chart_view;
mod error_note;
mod kpi;
mod subject_choices;
mod unit_table;
mod usage_table;
mod user_menu;

pub use band_table::BandSection;
pub use chart_view::{ChartView, TrendView};
pub use error_note::ErrorNote;
pub use kpi::{KpiTile, RateChange};
pub use subject_choices::SubjectChoices;
pub use unit_table::{SUPPRESSED, UnitTable};
pub use usage_table::UsageSection;
pub use user_menu::UserMenu;
