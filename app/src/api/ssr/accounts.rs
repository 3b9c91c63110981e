//! Account changes, shared by the admin page and the command line: each
//! one validated, hashed where it needs a password, and audited.

use domain::access::{AuditAction, Role};
use store::{NewAccount, Store, StoreError};

use super::{Actor, password};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("a {0} needs a scope: name the units they may see")]
    NoScope(&'static str),
    #[error("a password needs at least {} characters", password::MIN_LENGTH)]
    ShortPassword,
    #[error("the two new passwords differ")]
    Mismatch,
    #[error("the new password must differ from the current one")]
    Unchanged,
    #[error("the current password is not right")]
    WrongPassword,
    #[error("too many wrong current passwords: try again in a quarter of an hour")]
    Throttled,
    #[error("the server could not make a password: {0}")]
    Crypto(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AccountError {
    /// Whether the person asking can fix it (and may read the reason).
    pub fn is_users_to_fix(&self) -> bool {
        match self {
            AccountError::Store(e) => e.is_users_to_fix(),
            AccountError::Crypto(_) => false,
            AccountError::NoScope(_)
            | AccountError::Throttled
            | AccountError::ShortPassword
            | AccountError::Mismatch
            | AccountError::Unchanged
            | AccountError::WrongPassword => true,
        }
    }
}

/// How a new account will sign in.
pub enum Credential {
    /// A password chosen by an admin.
    Chosen(String),
    /// A password generated here and returned, to hand over.
    Generated,
    /// No password: the account signs in through Entra ID only (made at
    /// its first sign-in from its groups' mappings).
    EntraId,
}

/// An account to create.
pub struct AddAccount<'a> {
    pub username: &'a str,
    pub display_name: Option<&'a str>,
    pub role: Role,
    pub scope: &'a [String],
    pub person_lists: bool,
    pub credential: Credential,
    pub is_demo: bool,
}

/// The account made, and the password to hand over if one was generated.
#[derive(Debug)]
pub struct Added {
    pub account: i64,
    pub password: Option<String>,
}

/// Creates the account, the one way every account is made (the admin
/// page, the command line, the demo and Entra ID sign-up): validated,
/// hashed where it has a password, and audited.
pub async fn add(
    store: &Store,
    actor: &Actor<'_>,
    new: AddAccount<'_>,
) -> Result<Added, AccountError> {
    let scope: Vec<String> = new
        .scope
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if !new.role.sees_every_unit() && scope.is_empty() {
        return Err(AccountError::NoScope(new.role.label()));
    }
    let password = match new.credential {
        Credential::Chosen(p) if p.chars().count() < password::MIN_LENGTH => {
            return Err(AccountError::ShortPassword);
        }
        Credential::Chosen(p) => Some((p, false)),
        Credential::Generated => Some((
            password::generate().map_err(|e| AccountError::Crypto(e.to_string()))?,
            true,
        )),
        Credential::EntraId => None,
    };
    let hashed = match &password {
        Some((p, _)) => Some(
            password::hash_off_thread(p.clone())
                .await
                .map_err(AccountError::Crypto)?,
        ),
        None => None,
    };
    let generated = password.as_ref().is_some_and(|(_, g)| *g);
    let detail = format!(
        "created {} as {} with scope [{}]{}{}",
        new.username.trim().to_lowercase(),
        new.role.key(),
        scope.join(" "),
        if new.person_lists {
            " and person-level lists"
        } else {
            ""
        },
        if password.is_none() {
            ", signing in through Entra ID"
        } else {
            ""
        }
    );
    let account = store
        .create_account(
            &NewAccount {
                username: new.username.to_owned(),
                display_name: new.display_name.unwrap_or(new.username).trim().to_owned(),
                role: new.role,
                password_hash: hashed,
                person_lists: new.person_lists,
                scope: scope.clone(),
                is_demo: new.is_demo,
                // Demo accounts keep their listed passwords so the demo stays
                // easy to try; every other generated password is one-time.
                must_change_password: generated && !new.is_demo,
            },
            &actor.entry(AuditAction::AccountCreated, &detail),
        )
        .await?;
    Ok(Added {
        account,
        password: password.filter(|(_, g)| *g).map(|(p, _)| p),
    })
}

/// Wrong current passwords an account may give in [`GUESS_WINDOW`] before
/// changing its password is refused, as for sign-in.
const GUESSES: i32 = 5;
const GUESS_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// Sets a new password chosen by the account's owner, after checking the
/// current one, and ends the account's other sessions. Wrong current
/// passwords are audited and limited like sign-in failures.
pub async fn change_password(
    store: &Store,
    actor: &Actor<'_>,
    keep_session: Option<&str>,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<(), AccountError> {
    if new != confirm {
        return Err(AccountError::Mismatch);
    }
    if new.chars().count() < password::MIN_LENGTH {
        return Err(AccountError::ShortPassword);
    }
    if new == current {
        return Err(AccountError::Unchanged);
    }
    let key = format!("password-change:{}", actor.name);
    let since = chrono::Utc::now() - GUESS_WINDOW;
    if !store.reserve_guess(&key, since, GUESSES).await? {
        actor
            .audit(
                store,
                AuditAction::PasswordChangeRefused,
                "too many wrong current passwords",
            )
            .await?;
        return Err(AccountError::Throttled);
    }
    let stored = store
        .credentials(actor.name)
        .await?
        .and_then(|c| c.password_hash);
    let current_owned = current.to_owned();
    let matches =
        tokio::task::spawn_blocking(move || password::verify(stored.as_deref(), &current_owned))
            .await
            .map_err(|e| AccountError::Crypto(e.to_string()))?;
    if !matches {
        // The reserved guess stands as a failure.
        actor
            .audit(
                store,
                AuditAction::PasswordChangeFailed,
                "wrong current password",
            )
            .await?;
        return Err(AccountError::WrongPassword);
    }
    store.clear_sign_in_failures(&key).await?;
    let hashed = password::hash_off_thread(new.to_owned())
        .await
        .map_err(AccountError::Crypto)?;
    store
        .set_own_password(
            actor.name,
            &hashed,
            keep_session,
            &actor.entry(AuditAction::PasswordChanged, "by its owner"),
        )
        .await?;
    Ok(())
}

pub async fn set_role(
    store: &Store,
    actor: &Actor<'_>,
    username: &str,
    role: Role,
) -> Result<(), AccountError> {
    let detail = format!("{} is now {}", username.trim().to_lowercase(), role.key());
    store
        .set_role(
            username,
            role,
            &actor.entry(AuditAction::AccountRoleChanged, &detail),
        )
        .await?;
    Ok(())
}

/// Gives or withdraws person-level lists; returns what changed, in words.
pub async fn set_person_lists(
    store: &Store,
    actor: &Actor<'_>,
    username: &str,
    allowed: bool,
) -> Result<String, AccountError> {
    let detail = format!(
        "{} {} person-level lists",
        username.trim().to_lowercase(),
        if allowed {
            "may now see"
        } else {
            "may no longer see"
        }
    );
    store
        .set_person_lists(
            username,
            allowed,
            &actor.entry(AuditAction::AccountPersonListsChanged, &detail),
        )
        .await?;
    Ok(detail)
}

pub async fn disable(store: &Store, actor: &Actor<'_>, username: &str) -> Result<(), AccountError> {
    let detail = format!(
        "disabled {} and ended its sessions",
        username.trim().to_lowercase()
    );
    store
        .disable_account(
            username,
            &actor.entry(AuditAction::AccountDisabled, &detail),
        )
        .await?;
    Ok(())
}
