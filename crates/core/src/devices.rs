//! Push notification tokens of users' devices, kept per user and platform for the push
//! deliveries that will read them.

use crate::Core;
use palaver_domain::{Error, Field, Invalid, UserId, time::now_ms};
use palaver_store::repo::devices;

/// Longest push token or platform name accepted.
const MAX_TOKEN_CHARS: usize = 4096;
const MAX_PLATFORM_CHARS: usize = 32;

/// A device's push token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushToken {
    /// The platform it is for (`android`, `ios`, `rn`, `flutter`...).
    pub platform: String,
    /// The token the push service gave the device.
    pub token: String,
    /// Whether it is for the push service's development environment (APNs sandbox).
    pub is_development: bool,
}

impl PushToken {
    fn check(&self) -> Result<(), Error> {
        if self.token.is_empty() || self.token.chars().count() > MAX_TOKEN_CHARS {
            return Err(Error::invalid(Field::DeviceToken, Invalid::Length { min: 1, max: MAX_TOKEN_CHARS }));
        }
        if self.platform.is_empty() || self.platform.chars().count() > MAX_PLATFORM_CHARS {
            return Err(Error::invalid(Field::DevicePlatform, Invalid::Length { min: 1, max: MAX_PLATFORM_CHARS }));
        }
        Ok(())
    }
}

impl Core {
    /// Records (`add`) or forgets a device's push token for `user`; returns whether anything
    /// changed.
    pub async fn set_push_token(&self, user: UserId, t: PushToken, add: bool) -> Result<bool, Error> {
        t.check()?;
        self.store()
            .write(move |tx| {
                let changed = if add {
                    devices::add_push_token(tx.conn(), user, &t.platform, &t.token, t.is_development, now_ms())?
                } else {
                    devices::remove_push_token(tx.conn(), user, &t.platform, &t.token)?
                };
                Ok::<_, Error>(changed)
            })
            .await
    }

    /// The push tokens of a user's devices, oldest first.
    pub async fn push_tokens(&self, user: UserId) -> Result<Vec<PushToken>, Error> {
        let rows = self.store().read(move |c| Ok::<_, Error>(devices::push_tokens(c, user)?)).await?;
        Ok(rows
            .into_iter()
            .map(|(platform, token, is_development)| PushToken { platform, token, is_development })
            .collect())
    }
}
