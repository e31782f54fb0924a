//! Random tokens and one-way hashes of secrets.
//!
//! Every secret Palaver issues is a long random token, so a fast SHA-256 digest is enough to
//! store it safely (no password-style stretching is needed) and keeps per-request
//! authentication cheap.

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

/// A random TapTalk-style local id: 32 characters from `[A-Za-z0-9_]`.
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
    let computed = hash(secret);
    computed.len() == stored_hash.len()
        && computed.bytes().zip(stored_hash.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

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
