//! Webhook secrets are kept so that Palaver can sign with them, so they cannot be hashed:
//! they are sealed (ChaCha20-Poly1305, ring) with a key from the configuration
//! (`secret_key`, shared by every node of a cluster) or, by default, from the file
//! `secret.key` in the data directory, made on first use. A database copy alone does not
//! reveal them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use palaver_domain::Error;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::path::Path;

/// Prefix of a sealed value, naming the scheme.
const SEALED_PREFIX: &str = "v1:";
/// Name of the key file in the data directory.
pub const KEY_FILE: &str = "secret.key";

/// Seals and opens secrets with one key.
pub struct Sealer {
    key: LessSafeKey,
}

impl Sealer {
    /// A sealer with `configured` (base64 of 32 bytes) or, without it, the data directory's
    /// key file, made if missing.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> Result<Sealer, Error> {
        let text = match configured {
            Some(k) => k.trim().to_string(),
            None => key_file(data_dir)?,
        };
        let bytes = B64.decode(text.as_bytes()).map_err(|_| Error::Internal("secret_key is not base64".into()))?;
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
            .map_err(|_| Error::Internal("secret_key must be 32 bytes (base64)".into()))?;
        Ok(Sealer { key: LessSafeKey::new(key) })
    }

    /// `secret`, sealed.
    pub fn seal(&self, secret: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random source failed");
        let mut data = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .expect("sealing cannot fail for in-memory data");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        format!("{SEALED_PREFIX}{}", B64.encode(out))
    }

    /// The secret in `sealed`; an error when it was sealed with another key.
    pub fn open(&self, sealed: &str) -> Result<String, Error> {
        let wrong = || Error::Internal("a webhook secret cannot be opened with this server's secret_key".into());
        let raw = sealed.strip_prefix(SEALED_PREFIX).ok_or_else(wrong)?;
        let mut bytes = B64.decode(raw).map_err(|_| wrong())?;
        if bytes.len() < NONCE_LEN {
            return Err(wrong());
        }
        let mut data = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| wrong())?;
        let plain = self.key.open_in_place(nonce, Aad::empty(), &mut data).map_err(|_| wrong())?;
        String::from_utf8(plain.to_vec()).map_err(|_| wrong())
    }
}

/// The data directory's key, made (readable by the owner only) when missing.
fn key_file(dir: &Path) -> Result<String, Error> {
    let path = dir.join(KEY_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok(text);
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::Internal(format!("cannot create {}: {e}", dir.display())))?;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the operating system's random source failed");
    let text = B64.encode(key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut f) => {
            std::io::Write::write_all(&mut f, text.as_bytes())
                .map_err(|e| Error::Internal(format!("cannot write {}: {e}", path.display())))?;
            Ok(text)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(&path).map_err(|e| Error::Internal(format!("cannot read {}: {e}", path.display())))
        }
        Err(e) => Err(Error::Internal(format!("cannot create {}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_their_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let a = Sealer::load(None, dir.path()).unwrap();
        let sealed = a.seal("whsec_abc");
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(a.open(&sealed).unwrap(), "whsec_abc");
        assert_eq!(Sealer::load(None, dir.path()).unwrap().open(&sealed).unwrap(), "whsec_abc", "the file is reused");
        let other = Sealer::load(Some(&B64.encode([7u8; 32])), dir.path()).unwrap();
        assert!(other.open(&sealed).is_err());
        assert!(Sealer::load(Some("short"), dir.path()).is_err());
    }
}
