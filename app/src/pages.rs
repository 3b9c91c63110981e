mod accounts;
mod audit;
mod data;
mod overview;
mod password;
mod people;
mod sign_in;
mod waves;

pub use accounts::AccountsPage;
pub use audit::AuditPage;
pub use data::DataPage;
pub use overview::OverviewPage;
pub use password::PasswordPage;
pub use people::PeoplePage;
pub use sign_in::SignInPage;
pub use waves::WavesPage;
