//! `uptake user …`: the command line's view of accounts. Changes go
//! through the same audited functions as the admin page.

use std::io::BufRead;

use anyhow::{Context, Result};
use store::Store;

/// The accounts as a plain table.
pub async fn list(store: &Store) -> Result<String> {
    let mut out = format!(
        "{:<32} {:<16} {:<6} {:<9} scope\n",
        "username", "role", "lists", "state"
    );
    for a in store.accounts().await? {
        let v = &a.viewer;
        let state = a.state();
        let scope: Vec<&str> = v.scope.iter().map(|s| s.code.as_str()).collect();
        out.push_str(&format!(
            "{:<32} {:<16} {:<6} {:<9} {}\n",
            v.username,
            v.role.key(),
            if v.person_lists { "yes" } else { "no" },
            state,
            if scope.is_empty() {
                "-".to_owned()
            } else {
                scope.join(",")
            }
        ));
    }
    Ok(out)
}

/// Reads one line from stdin as a password.
pub fn password_from_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
