//! Random tokens and one-way hashes of secrets.
//!
//! Every secret Palaver issues is a long random token, so a fast SHA-256 digest is enough to
//! store it safely (no password-style stretching is needed) and keeps per-request
//! authentication cheap. Passwords that users choose are another matter: they are stored
//! salted and stretched with Argon2id ([`hash_password`]).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random token of `len` characters from `[A-Za-z0-9]`.
pub fn random_token(len: usize) -> String {
    random_from(ALPHABET, len)
}

/// A random lowercase hexadecimal id of `len` characters.
pub fn random_hex(len: usize) -> String {
    random_from(b"0123456789abcdef", len)
}

/// A random client id for a message the server composes: 32 characters from `[A-Za-z0-9_]`.
pub fn random_local_id() -> String {
    random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_", 32)
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut bytes = vec![0u8; len];
    // The OS random source failing is unrecoverable; there is no safe fallback for secrets.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    // 256 is a multiple of both alphabet sizes used here (64, 16) or close enough (62) that
    // the modulo bias is negligible for tokens of this length.
    bytes.iter().map(|b| alphabet[*b as usize % alphabet.len()] as char).collect()
}

/// SHA-256 of `secret`, in hex.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares a secret with a stored hash in time independent of where they differ.
pub fn verify(secret: &str, stored_hash: &str) -> bool {
    same(&hash(secret), stored_hash)
}

/// Whether two strings are equal, in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A user-chosen password, salted and stretched with Argon2id (the `argon2` crate's default
/// parameters, OWASP's: 19 MiB, two passes, one lane) as a PHC string `$argon2id$v=19$...`.
pub fn hash_password(password: &str) -> String {
    // Argon2 with valid default parameters fails only if the OS random source does, which
    // leaves no safe way to store a password.
    Argon2::default().hash_password(password.as_bytes()).expect("hashing a password failed").to_string()
}

/// A password that is itself a long random token (one Palaver made up): salted, but with one
/// round of PBKDF2, since guessing it is hopeless anyway and it is made inside a write.
pub fn hash_random_password(token: &str) -> String {
    pbkdf2_hash(token, &random_hex(32), 1)
}

fn pbkdf2_hash(password: &str, salt: &str, rounds: u32) -> String {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt.as_bytes(), rounds, &mut out);
    format!("pbkdf2-sha256${rounds}${salt}${}", hex::encode(out))
}

/// Whether `password` is the one stored as `stored`: an Argon2 PHC string, or the PBKDF2
/// form of earlier versions and of random passwords.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if stored.starts_with("$argon2") {
        return PasswordHash::new(stored)
            .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
    }
    let mut parts = stored.split('$');
    let (Some("pbkdf2-sha256"), Some(rounds), Some(salt), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    match rounds.parse::<u32>() {
        Ok(rounds) if rounds > 0 => same(&pbkdf2_hash(password, salt, rounds), stored),
        _ => false,
    }
}

/// Whether a stored hash of a user-chosen password predates Argon2id, so that the next time
/// the password is given it is stored again with [`hash_password`].
pub fn needs_rehash(stored: &str) -> bool {
    stored.starts_with("pbkdf2-sha256$") && !stored.starts_with("pbkdf2-sha256$1$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_salted_stretched_and_verified() {
        // PBKDF2-HMAC-SHA256 test vector: "password", salt "salt", one round.
        let one_round = pbkdf2_hash("password", "salt", 1);
        assert_eq!(one_round, "pbkdf2-sha256$1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
        let stored = hash_password("secret-1");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(!needs_rehash(&stored));
        assert_ne!(hash_password("secret-1"), stored, "each hash has its own salt");
        assert!(verify_password("secret-1", &stored));
        assert!(!verify_password("secret-2", &stored));
        assert!(!verify_password("secret-1", &hash("secret-1")), "a bare digest is not a password hash");
        assert!(!verify_password("password", "pbkdf2-sha256$0$salt$00"));
        let token = random_token(32);
        assert!(verify_password(&token, &hash_random_password(&token)));
        assert!(!needs_rehash(&hash_random_password(&token)), "random passwords are not stretched");
        assert!(!verify_password("secret-1", "$argon2id$v=19$garbage"));
    }

    #[test]
    fn hashes_of_earlier_versions_still_verify_and_ask_to_be_upgraded() {
        let legacy = pbkdf2_hash("secret-1", "0123456789abcdef", 100_000);
        assert!(verify_password("secret-1", &legacy));
        assert!(!verify_password("secret-2", &legacy));
        assert!(needs_rehash(&legacy));
    }

    #[test]
    fn tokens_have_the_requested_shape() {
        let t = random_token(40);
        assert_eq!(t.len(), 40);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(random_token(40), t);
        assert!(random_local_id().chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }

    #[test]
    fn verify_accepts_only_the_hashed_secret() {
        let h = hash("s3cret");
        assert!(verify("s3cret", &h));
        assert!(!verify("s3cret!", &h));
        assert!(!verify("s3cret", "abc"));
    }
}
