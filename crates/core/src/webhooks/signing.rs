//! Webhook signatures: the Standard Webhooks scheme on every delivery (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`,
//! keyed with the base64 part of the `whsec_` secret), and the bare HMAC some platforms send.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ring::hmac;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the operating system's random source failed");
    format!("{SECRET_PREFIX}{}", B64.encode(key))
}

/// The key of a `whsec_<base64>` secret; `None` when it is not one.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    let key = B64.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    (key.len() >= 16 && key.len() <= 64).then_some(key)
}

/// The `webhook-signature` value for a delivery.
pub fn standard_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(id.as_bytes());
    ctx.update(b".");
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    format!("v1,{}", B64.encode(ctx.sign().as_ref()))
}

/// Lower-case hex of HMAC-SHA256 of `body` keyed with `key`'s bytes.
pub fn hex_hmac(key: &[u8], body: &[u8]) -> String {
    hex::encode(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), body).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_webhooks_example_signs_as_published() {
        // The example of the Standard Webhooks specification.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            standard_signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(secret_key(&new_secret()).is_some());
        assert!(secret_key("nope").is_none());
    }
}
