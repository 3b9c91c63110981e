//! Who is asking and what they may see: roles, scopes, and the one rule
//! that turns a request for a unit into a grant or a refusal.
//!
//! Every data access in the app goes through [`Viewer::authorize`]. A
//! [`Grant`] can only be made here, so a read that needs one cannot be
//! written without the check.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::org::UnitId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Admin,
    RolloutManager,
    UnitCommander,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::RolloutManager,
        Role::UnitCommander,
        Role::Viewer,
    ];

    /// The name stored in the database and used on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::RolloutManager => "rollout_manager",
            Role::UnitCommander => "unit_commander",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Result<Self, AccessError> {
        let wanted = s.trim().replace('-', "_").to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.key() == wanted)
            .ok_or_else(|| AccessError::UnknownRole(s.to_owned()))
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::RolloutManager => "Rollout manager",
            Role::UnitCommander => "Unit commander",
            Role::Viewer => "Viewer",
        }
    }

    /// Admins and rollout managers see every unit; the others only their
    /// scope.
    pub fn sees_every_unit(self) -> bool {
        matches!(self, Role::Admin | Role::RolloutManager)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccessError {
    #[error("unknown role '{0}' (use admin, rollout_manager, unit_commander or viewer)")]
    UnknownRole(String),
}

/// One subtree in an account's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeUnit {
    pub id: UnitId,
    pub code: String,
}

/// The signed-in user, as every request sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub account: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The subtrees this account may see. Restricted units need one of
    /// these on or under them, whatever the role.
    pub scope: Vec<ScopeUnit>,
    /// May see person-level lists in the units they may see.
    pub person_lists: bool,
    /// Signed in with a one-time password: may do nothing but set their
    /// own password.
    pub must_change_password: bool,
}

/// An account as the admin page and `uptake user list` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub viewer: Viewer,
    pub disabled: bool,
    pub is_demo: bool,
    pub created_at: DateTime<Utc>,
}

impl Account {
    /// The account's state in a word, as lists show it.
    pub fn state(&self) -> &'static str {
        match (self.disabled, self.is_demo) {
            (true, _) => "disabled",
            (false, true) => "demo",
            (false, false) => "active",
        }
    }
}

/// What an audit log entry records. Stored by its key, which never
/// changes once written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SignIn,
    SignOut,
    SignInFailed,
    SignInRefused,
    AccountCreated,
    AccountDisabled,
    AccountRoleChanged,
    AccountPersonListsChanged,
    PasswordChanged,
    PasswordChangeFailed,
    PasswordChangeRefused,
    PersonListViewed,
    AuditLogExported,
    Exported,
    PersonListExported,
    GroupMapped,
    SettingChanged,
    TokenCreated,
    TokenRevoked,
    ToolAdded,
    WaveCreated,
    WaveTargetSet,
    WaveEdited,
    Import,
    Push,
}

impl AuditAction {
    pub const ALL: [AuditAction; 25] = [
        AuditAction::SignIn,
        AuditAction::SignOut,
        AuditAction::SignInFailed,
        AuditAction::SignInRefused,
        AuditAction::AccountCreated,
        AuditAction::AccountDisabled,
        AuditAction::AccountRoleChanged,
        AuditAction::AccountPersonListsChanged,
        AuditAction::PasswordChanged,
        AuditAction::PasswordChangeFailed,
        AuditAction::PasswordChangeRefused,
        AuditAction::PersonListViewed,
        AuditAction::AuditLogExported,
        AuditAction::Exported,
        AuditAction::PersonListExported,
        AuditAction::GroupMapped,
        AuditAction::SettingChanged,
        AuditAction::TokenCreated,
        AuditAction::TokenRevoked,
        AuditAction::ToolAdded,
        AuditAction::WaveCreated,
        AuditAction::WaveTargetSet,
        AuditAction::WaveEdited,
        AuditAction::Import,
        AuditAction::Push,
    ];

    pub fn key(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignOut => "sign_out",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignInRefused => "sign_in_refused",
            AuditAction::AccountCreated => "account_created",
            AuditAction::AccountDisabled => "account_disabled",
            AuditAction::AccountRoleChanged => "account_role_changed",
            AuditAction::AccountPersonListsChanged => "account_person_lists_changed",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::PasswordChangeFailed => "password_change_failed",
            AuditAction::PasswordChangeRefused => "password_change_refused",
            AuditAction::PersonListViewed => "person_list_viewed",
            AuditAction::AuditLogExported => "audit_log_exported",
            AuditAction::Exported => "exported",
            AuditAction::PersonListExported => "person_list_exported",
            AuditAction::GroupMapped => "group_mapped",
            AuditAction::SettingChanged => "setting_changed",
            AuditAction::TokenCreated => "token_created",
            AuditAction::TokenRevoked => "token_revoked",
            AuditAction::ToolAdded => "tool_added",
            AuditAction::WaveCreated => "wave_created",
            AuditAction::WaveTargetSet => "wave_target_set",
            AuditAction::WaveEdited => "wave_edited",
            AuditAction::Import => "import",
            AuditAction::Push => "push",
        }
    }
}

/// One audit log entry as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub detail: String,
    pub scope: String,
    pub address: Option<String>,
}

/// A unit as it stands now: its chain of ancestors from the root down to
/// itself, each with its restricted flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitPath {
    pub chain: Vec<(UnitId, bool)>,
}

impl UnitPath {
    pub fn unit(&self) -> Option<UnitId> {
        self.chain.last().map(|&(u, _)| u)
    }

    pub fn is_root(&self) -> bool {
        self.chain.len() == 1
    }
}

/// How much of a unit a grant opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reach {
    /// Force-level aggregates only, for comparison: no drill-down.
    ForceComparison,
    /// The unit and the visible units under it.
    Full,
}

/// Proof that a viewer may see a unit. Only [`Viewer::authorize`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    unit: UnitId,
    reach: Reach,
    person_lists: bool,
}

impl Grant {
    pub fn unit(&self) -> UnitId {
        self.unit
    }

    pub fn reach(&self) -> Reach {
        self.reach
    }

    /// Person-level lists need the separate permission and a full grant.
    pub fn person_lists(&self) -> Result<PersonListGrant, Denied> {
        if self.person_lists && self.reach == Reach::Full {
            Ok(PersonListGrant { unit: self.unit })
        } else {
            Err(Denied::NeedsPersonLists)
        }
    }
}

/// Proof that a viewer may list the people of a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonListGrant {
    unit: UnitId,
}

impl PersonListGrant {
    pub fn unit(&self) -> UnitId {
        self.unit
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("this unit is outside your scope")]
    OutOfScope,
    #[error("person-level lists need a separate permission; ask an admin")]
    NeedsPersonLists,
    #[error("only an admin may do this")]
    AdminOnly,
    #[error("only an admin or a rollout manager may see this")]
    ForceWideOnly,
}

impl Viewer {
    /// A trusted local process (the command line, the scheduler) reading
    /// as a rollout manager does: every unit but restricted ones, no
    /// person-level lists.
    pub fn service(name: &str) -> Self {
        Self {
            account: 0,
            username: name.to_owned(),
            display_name: name.to_owned(),
            role: Role::RolloutManager,
            scope: Vec::new(),
            person_lists: false,
            must_change_password: false,
        }
    }

    /// The unit a view shows when none is asked for: the force (`None`)
    /// for those who see every unit, else the first unit of their scope.
    pub fn home(&self) -> Option<&str> {
        match self.role.sees_every_unit() {
            true => None,
            false => self.scope.first().map(|s| s.code.as_str()),
        }
    }

    fn scoped_on(&self, unit: UnitId) -> bool {
        self.scope.iter().any(|s| s.id == unit)
    }

    /// The one rule for every data access:
    /// - the force (the root) is open to every role, but only admins and
    ///   rollout managers drill down from it;
    /// - admins and rollout managers see every unit, the others the
    ///   subtrees in their scope;
    /// - a restricted unit, and everything under it, needs a scope entry on
    ///   or under the deepest restricted unit of its path, whatever the role.
    pub fn authorize(&self, path: &UnitPath) -> Result<Grant, Denied> {
        let unit = path.unit().ok_or(Denied::OutOfScope)?;
        let grant = |reach| Grant {
            unit,
            reach,
            person_lists: self.person_lists,
        };
        if let Some(deepest) = path.chain.iter().rposition(|&(_, restricted)| restricted)
            && !path.chain[deepest..]
                .iter()
                .any(|&(u, _)| self.scoped_on(u))
        {
            return Err(Denied::OutOfScope);
        }
        if self.role.sees_every_unit() || path.chain.iter().any(|&(u, _)| self.scoped_on(u)) {
            Ok(grant(Reach::Full))
        } else if path.is_root() {
            Ok(grant(Reach::ForceComparison))
        } else {
            Err(Denied::OutOfScope)
        }
    }

    /// Whether a child of a unit this viewer holds a full grant on is
    /// shown: restricted children need their own scope entry.
    pub fn sees_child(&self, parent: &Grant, child: UnitId, restricted: bool) -> bool {
        parent.reach == Reach::Full && (!restricted || self.scoped_on(child))
    }

    pub fn require_admin(&self) -> Result<(), Denied> {
        (self.role == Role::Admin)
            .then_some(())
            .ok_or(Denied::AdminOnly)
    }

    /// Admins and rollout managers: data health, coverage and imports.
    pub fn require_force_wide(&self) -> Result<(), Denied> {
        self.role
            .sees_every_unit()
            .then_some(())
            .ok_or(Denied::ForceWideOnly)
    }

    /// Force-wide person-level rows (the data page's sign-in names and
    /// rejected rows): force-wide, with the person-level list permission.
    pub fn require_force_wide_people(&self) -> Result<(), Denied> {
        self.require_force_wide()?;
        self.person_lists
            .then_some(())
            .ok_or(Denied::NeedsPersonLists)
    }

    /// The scope as the audit log records it.
    pub fn scope_label(&self) -> String {
        let units = self
            .scope
            .iter()
            .map(|s| s.code.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        match (self.role.sees_every_unit(), units.is_empty()) {
            (true, true) => "all units".to_owned(),
            (true, false) => format!("all units; restricted: {units}"),
            (false, true) => "force comparison only".to_owned(),
            (false, false) => units,
        }
    }
}

impl fmt::Display for Viewer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.username, self.role.key())
    }
}

/// An Entra ID group's mapping to a role and scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMapping {
    pub group: String,
    pub role: Role,
    pub person_lists: bool,
    /// Unit codes. A mapping with none denies access.
    pub scope: Vec<String>,
}

/// What a new Entra ID account gets from the mappings of its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedAccess {
    pub role: Role,
    pub scope: Vec<String>,
    pub person_lists: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MappingDenied {
    #[error("none of your groups is mapped to Uptake; ask an admin to map one")]
    NoMapping,
    #[error("your group mapping names no units, which denies access; ask an admin to add a scope")]
    NoScope,
}

/// Combines the mappings of a person's groups: a mapping with no scope
/// denies access outright; otherwise the strongest role, the union of the
/// scopes, and person-level lists if any mapping grants them.
pub fn map_groups(mappings: &[GroupMapping]) -> Result<MappedAccess, MappingDenied> {
    if mappings.is_empty() {
        return Err(MappingDenied::NoMapping);
    }
    if mappings.iter().any(|m| m.scope.is_empty()) {
        return Err(MappingDenied::NoScope);
    }
    let role = Role::ALL
        .into_iter()
        .find(|r| mappings.iter().any(|m| m.role == *r))
        .unwrap_or(Role::Viewer);
    let mut scope: Vec<String> = mappings
        .iter()
        .flat_map(|m| m.scope.iter().cloned())
        .collect();
    scope.sort();
    scope.dedup();
    Ok(MappedAccess {
        role,
        scope,
        person_lists: mappings.iter().any(|m| m.person_lists),
    })
}

/// How long a session lives: it ends after `idle` without a request, or
/// `absolute` after sign-in, whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
    /// Live sessions one account may hold; a new one ends the least
    /// recently used beyond it.
    pub per_account: u32,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(60),
            absolute: Duration::hours(12),
            per_account: 10,
        }
    }
}

impl SessionPolicy {
    pub fn alive(
        &self,
        created: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now < created + self.absolute && now < last_seen + self.idle
    }

    /// Whether to write a new last-seen time: at most once a minute, so a
    /// busy dashboard does not write on every request.
    pub fn needs_touch(&self, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - last_seen >= Duration::minutes(1)
    }
}

/// Failed sign-ins allowed in a window before further attempts are
/// refused, per account and per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimit {
    /// Failed guesses per account (from browsers it does not know) and
    /// per trusted browser, in a window.
    pub per_account: i32,
    pub per_address: i32,
    pub window: Duration,
    /// How long a browser that signed in stays trusted without signing in
    /// again.
    pub device_trust: Duration,
}

impl Default for SignInLimit {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window: Duration::minutes(15),
            device_trust: Duration::days(90),
        }
    }
}

#[cfg(test)]
mod tests;
