//! Password hashing with argon2id, and one-time passwords.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

/// An argon2id PHC string for a password, with a fresh salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
}

/// [`hash`] on a blocking thread: argon2 takes tens of milliseconds of CPU
/// on purpose. A failure is the hasher's or the thread's, in words for the
/// log.
pub async fn hash_off_thread(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// Whether a password matches a stored hash. With no stored hash it still
/// does the work of one check, so a missing account takes as long to refuse
/// as a wrong password.
pub fn verify(stored: Option<&str>, password: &str) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let decoy = DECOY.get_or_init(|| hash("decoy").unwrap_or_default());
    let (phc, real) = match stored {
        Some(h) => (h, true),
        None => (decoy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

/// A one-time password: five groups of five letters and digits, about 120
/// bits, easy to read aloud.
pub fn generate() -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 25];
    getrandom::fill(&mut bytes)?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// Minimum length for a password chosen by a person.
pub const MIN_LENGTH: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash("correct horse battery").expect("hash");
        let b = hash("correct horse battery").expect("hash");
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify(Some(&a), "correct horse battery"));
        assert!(!verify(Some(&a), "Correct horse battery"));
        assert!(!verify(None, "decoy"), "no account never matches");
        assert!(!verify(Some("not a hash"), "x"));
    }

    #[test]
    fn one_time_passwords_are_long_and_fresh() {
        let a = generate().expect("password");
        assert_eq!(a.len(), 29);
        assert_ne!(a, generate().expect("password"));
        assert!(a.len() >= MIN_LENGTH);
    }
}
