//! The TapTalk SDK content cipher: decrypting any text with any local id never panics, and
//! encrypting any text then decrypting it gives the text back, for every salt digit.
//!
//! Input layout: `<byte><local id>\n<text>` (invalid UTF-8 is replaced); the first byte picks
//! the salt digit and where the ciphertext is damaged. `encrypt` is `encrypt_with_digit` with a
//! random digit; here the input picks it, so that every run can be reproduced.

#![no_main]

use libfuzzer_sys::fuzz_target;
use palaver_taptalk::crypto::{decrypt, decrypt_lenient, encrypt_with_digit};

fuzz_target!(|input: &[u8]| {
    let Some((&first, rest)) = input.split_first() else { return };
    let (local_id, text) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let (local_id, text) = (String::from_utf8_lossy(local_id), String::from_utf8_lossy(text));
    let digit = usize::from(first % 9) + 1;

    // Arbitrary text, as a client may send it.
    let _ = decrypt(&text, &local_id);
    let _ = decrypt_lenient(&text, &local_id);

    // A real ciphertext round-trips, and stays harmless when damaged.
    let sealed = encrypt_with_digit(&text, &local_id, digit);
    assert_eq!(decrypt(&sealed, &local_id).as_deref(), Some(text.as_ref()), "digit {digit}");
    assert_eq!(decrypt_lenient(&sealed, &local_id), text);
    let mut damaged = sealed.into_bytes();
    let at = (usize::from(first / 9) + text.len()) % damaged.len();
    damaged[at] ^= 1;
    let _ = decrypt(&String::from_utf8_lossy(&damaged), &local_id);
});
