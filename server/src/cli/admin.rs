//! The admin commands: accounts, group mappings, push tokens, tools and
//! the identity settings. Each change is audited as the command line's.

use anyhow::Result;
use app::api::ssr::{
    Actor,
    accounts::{self, AddAccount, Credential},
};
use clap::Subcommand;
use domain::{
    access::{AuditAction, GroupMapping, Role},
    catalog::Source,
};
use store::Store;

use crate::{auth, users};

#[derive(Debug, Subcommand)]
pub enum ToolCommand {
    /// Register a tool whose activity arrives by push or generic import.
    Add { name: String },
    /// List tools and where their activity comes from.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token that may write the given tools. It is printed once;
    /// only its hash is kept.
    Create {
        #[arg(long)]
        name: String,
        /// Tool names, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        tools: Vec<String>,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Map a group (by its object id) to a role and scope. People in it
    /// get an account at first sign-in; a mapping with no scope denies.
    Map {
        group: String,
        #[arg(long)]
        role: String,
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
        #[arg(long)]
        person_lists: bool,
    },
    /// List group mappings.
    List,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. Prints a one-time password unless
    /// --password-stdin is given.
    Add {
        /// The sign-in name (UPN or email).
        username: String,
        /// admin, rollout_manager, unit_commander or viewer.
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Unit codes of the subtrees the account may see, comma-separated.
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
        /// Allow person-level lists ("who has not started") in scope.
        #[arg(long)]
        person_lists: bool,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Change an account's role.
    SetRole { username: String, role: String },
    /// Allow (`allow`) or withdraw (`deny`) person-level lists.
    PersonLists { username: String, allowed: Allowed },
}

/// A permission given or withdrawn.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Allowed {
    Allow,
    Deny,
}

/// Prints the identity settings, changing those given first. A bad alias
/// is refused before anything is stored; names seen before that now match
/// staff are attached.
pub async fn identity(store: &Store, changes: [(&str, Option<String>); 3]) -> Result<()> {
    if let Some((_, Some(aliases))) = changes
        .iter()
        .find(|(k, _)| *k == "identity.domain_aliases")
    {
        domain::activity::domain_aliases(aliases).map_err(anyhow::Error::msg)?;
    }
    let changed = changes.iter().any(|(_, v)| v.is_some());
    for (key, value) in &changes {
        if let Some(value) = value {
            store.set_setting(key, value).await?;
            Actor::local("cli")
                .audit(
                    store,
                    AuditAction::SettingChanged,
                    &format!("{key} = {value}"),
                )
                .await?;
        }
        println!("{key} = {}", store.setting(key).await?.unwrap_or_default());
    }
    if changed {
        let attached = store
            .attach_unmatched(&store.identity_resolver().await?)
            .await?;
        if attached > 0 {
            store.rebuild_rollups().await?;
        }
        println!("{attached} names seen before now match staff; their activity is attached");
    }
    Ok(())
}

pub async fn user(store: &Store, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add {
            username,
            role,
            display_name,
            scope,
            person_lists,
            password_stdin,
        } => {
            let credential = match password_stdin {
                true => Credential::Chosen(users::password_from_stdin()?),
                false => Credential::Generated,
            };
            let added = accounts::add(
                store,
                &Actor::local("cli"),
                AddAccount {
                    username: &username,
                    display_name: display_name.as_deref(),
                    role: Role::parse(&role)?,
                    scope: &scope,
                    person_lists,
                    credential,
                    is_demo: false,
                },
            )
            .await?;
            match added.password {
                Some(p) => println!("created {username}; one-time password: {p}"),
                None => println!("created {username}"),
            }
        }
        UserCommand::List => print!("{}", users::list(store).await?),
        UserCommand::Disable { username } => {
            accounts::disable(store, &Actor::local("cli"), &username).await?;
            println!("disabled {username}");
        }
        UserCommand::SetRole { username, role } => {
            accounts::set_role(store, &Actor::local("cli"), &username, Role::parse(&role)?).await?;
            println!("{username} is now {role}");
        }
        UserCommand::PersonLists { username, allowed } => {
            let allowed = matches!(allowed, Allowed::Allow);
            let done =
                accounts::set_person_lists(store, &Actor::local("cli"), &username, allowed).await?;
            println!("{done}");
        }
    }
    Ok(())
}

pub async fn group(store: &Store, command: GroupCommand) -> Result<()> {
    match command {
        GroupCommand::Map {
            group,
            role,
            scope,
            person_lists,
        } => {
            let mapping = GroupMapping {
                group: group.clone(),
                role: Role::parse(&role)?,
                person_lists,
                scope,
            };
            store.set_group_mapping(&mapping).await?;
            let detail = format!(
                "group {group} maps to {} with scope [{}]",
                mapping.role.key(),
                mapping.scope.join(" ")
            );
            Actor::local("cli")
                .audit(store, AuditAction::GroupMapped, &detail)
                .await?;
            if mapping.scope.is_empty() {
                println!("{detail}; with no scope it denies access");
            } else {
                println!("{detail}");
            }
        }
        GroupCommand::List => {
            for m in store.group_mappings(None).await? {
                println!("{:<40} {:<16} {}", m.group, m.role.key(), m.scope.join(","));
            }
        }
    }
    Ok(())
}

pub async fn token(store: &Store, command: TokenCommand) -> Result<()> {
    let cli = Actor::local("cli");
    match command {
        TokenCommand::Create { name, tools } => {
            let token = format!("upt_{}", auth::random_token()?);
            let id = store
                .create_api_token(&name, &auth::token_hash(&token), &tools)
                .await?;
            cli.audit(
                store,
                AuditAction::TokenCreated,
                &format!("token {id} '{name}' for {}", tools.join(",")),
            )
            .await?;
            println!(
                "token {id} '{name}' may write {}; it is shown only now:\n{token}",
                tools.join(", ")
            );
        }
        TokenCommand::List => {
            for t in store.api_tokens().await? {
                let state = if t.revoked { "revoked" } else { "live" };
                println!(
                    "{:>4} {:<24} {:<8} {}",
                    t.id,
                    t.name,
                    state,
                    t.tools.join(",")
                );
            }
        }
        TokenCommand::Revoke { id } => {
            store.revoke_api_token(id).await?;
            cli.audit(store, AuditAction::TokenRevoked, &format!("token {id}"))
                .await?;
            println!("revoked token {id}");
        }
    }
    Ok(())
}

pub async fn tool(store: &Store, command: ToolCommand) -> Result<()> {
    match command {
        ToolCommand::Add { name } => {
            let name = domain::catalog::tool_name(&name).map_err(anyhow::Error::msg)?;
            if let Some(existing) = store.catalog().await?.tool_by_name(name) {
                anyhow::bail!("tool '{}' is already registered", existing.name);
            }
            let id = store.register_tool(name, Source::Push).await?;
            Actor::local("cli")
                .audit(
                    store,
                    AuditAction::ToolAdded,
                    &format!("tool {} '{name}'", id.0),
                )
                .await?;
            store.rebuild_rollups().await?;
            println!(
                "tool '{name}' registered; push its activity with a token from `uptake token create --tools {name}`"
            );
        }
        ToolCommand::List => {
            let sources: std::collections::BTreeMap<_, _> =
                store.tool_sources().await?.into_iter().collect();
            for t in store.catalog().await?.tools() {
                let source = sources.get(&t.id).map_or("push", |s| s.key());
                println!("{:<16} {source}", t.name);
            }
        }
    }
    Ok(())
}
