//! The content obfuscation every TapTalk SDK applies to message `body`, `data` and
//! `quote.content` (protocol notes section 9). It must match the SDKs bit for bit, so the
//! key derivation and the "salt" character insertion are reproduced exactly.

use aes::Aes256;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The first 16 characters of the constant hard-coded in all three public SDKs.
const KEY_PREFIX: &str = "kHT0sVGIKKpnlJE5";

fn key_for(local_id: &str) -> [u8; 32] {
    let chars: Vec<char> = local_id.chars().collect();
    // JavaScript's substring(8, 24) clamps to the string's length; so do we.
    let start = chars.len().min(8);
    let end = chars.len().min(24);
    let suffix: String = chars[start..end].iter().rev().collect();
    Sha256::digest(format!("{KEY_PREFIX}{suffix}").as_bytes()).into()
}

/// A digit from 1 to 8. It only shifts where the salt character goes, so it needs no strong
/// randomness: a per-thread xorshift generator, seeded once, avoids a system call per message.
fn random_digit() -> usize {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let mut seed = [0u8; 8];
            let _ = getrandom::fill(&mut seed);
            u64::from_le_bytes(seed) | 1
        });
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        1 + (x % 8) as usize
    })
}

/// Encrypts `text` for a message with `local_id`, as the SDKs do.
pub fn encrypt(text: &str, local_id: &str) -> String {
    encrypt_with_digit(text, local_id, random_digit())
}

/// [`encrypt`] with a chosen random digit `r` (1..=9), for reproducible tests.
pub fn encrypt_with_digit(text: &str, local_id: &str, r: usize) -> String {
    let key = key_for(local_id);
    let ct = cbc::Encryptor::<Aes256>::new(&key.into(), &[0u8; 16].into()).encrypt_padded_vec::<Pkcs7>(text.as_bytes());
    let ct = STANDARD.encode(ct);
    let len = ct.len();
    let pos = ((len + r) * r) % len;
    let id: Vec<char> = local_id.chars().collect();
    let salt = if id.is_empty() { 'a' } else { id[text.chars().count() % id.len()] };
    let mut out = String::with_capacity(len + 2);
    out.push(char::from(b'0' + r as u8));
    out.push_str(&ct[..pos]);
    out.push(salt);
    out.push_str(&ct[pos..]);
    out
}

/// Decrypts what an SDK encrypted; `None` if `s` is not such a ciphertext.
pub fn decrypt(s: &str, local_id: &str) -> Option<String> {
    let r = s.chars().next()?.to_digit(10)? as usize;
    let rest = s.get(1..)?;
    // The salt is a character of the local id, so it may be any character: positions count
    // characters. The rest is base64, which the decoder checks.
    // (The SDKs' local ids are ASCII, and so is all of `rest` then: counted by bytes.)
    let ascii = rest.is_ascii();
    let len = if ascii { rest.len() } else { rest.chars().count() }.checked_sub(1)?;
    if len == 0 {
        return None;
    }
    let pos = ((len + r) * r) % len;
    let (at, salt_len) =
        if ascii { (pos, 1) } else { rest.char_indices().nth(pos).map(|(at, c)| (at, c.len_utf8()))? };
    let ct = [&rest[..at], &rest[at + salt_len..]].concat();
    let raw = STANDARD.decode(ct).ok()?;
    let key = key_for(local_id);
    let plain = cbc::Decryptor::<Aes256>::new(&key.into(), &[0u8; 16].into()).decrypt_padded_vec::<Pkcs7>(&raw).ok()?;
    String::from_utf8(plain).ok()
}

/// Decrypts a field a client sent; empty stays empty, and text that is not a ciphertext is
/// kept as is (some integrations send plain text).
pub fn decrypt_lenient(s: &str, local_id: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    decrypt(s, local_id).unwrap_or_else(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL_ID: &str = "abcdefghIJKLMNOPQRSTUVWXyz012345";

    #[test]
    fn matches_the_protocol_test_vector() {
        assert_eq!(encrypt_with_digit("Hello", LOCAL_ID, 3), "3+XHWHp6Eef2bAZX0SChdxfw==");
    }

    #[test]
    fn decrypts_the_test_vector() {
        assert_eq!(decrypt("3+XHWHp6Eef2bAZX0SChdxfw==", LOCAL_ID).as_deref(), Some("Hello"));
    }

    #[test]
    fn round_trips_unicode_for_every_digit() {
        for r in 1..=9 {
            let text = "Halo, apa kabar? 👋 ünïcode";
            assert_eq!(decrypt(&encrypt_with_digit(text, LOCAL_ID, r), LOCAL_ID).as_deref(), Some(text));
        }
        assert_eq!(decrypt(&encrypt("", LOCAL_ID), LOCAL_ID).as_deref(), Some(""));
    }

    /// Found by fuzzing (`taptalk_crypto`): a local id that is not ASCII gives a salt that is
    /// not ASCII, and such ciphertexts were read as plain text.
    #[test]
    fn round_trips_with_a_salt_from_a_non_ascii_local_id() {
        let local_id = "\u{FFFD}\u{FFFD}\u{7}lé€";
        for r in 1..=9 {
            for text in ["", "Hello", "ünïcode 👋"] {
                let sealed = encrypt_with_digit(text, local_id, r);
                assert_eq!(decrypt(&sealed, local_id).as_deref(), Some(text), "digit {r}, text {text:?}");
            }
        }
    }

    #[test]
    fn rejects_plain_text_and_keeps_it_when_lenient() {
        assert_eq!(decrypt("hello world", LOCAL_ID), None);
        assert_eq!(decrypt("3héllo wörld", LOCAL_ID), None);
        assert_eq!(decrypt_lenient("hello world", LOCAL_ID), "hello world");
        assert_eq!(decrypt_lenient("", LOCAL_ID), "");
    }
}
