//! Typed identifiers, so that a room id can never be passed where a user id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An application (tenant); every row belongs to exactly one.
    AppId
);
id_type!(
    /// The internal numeric user id, shared by every face.
    UserId
);
id_type!(
    /// The internal numeric room id, shared by every face.
    RoomId
);
id_type!(
    /// A message id, drawn from the store's one increasing sequence.
    MessageId
);
id_type!(
    /// The id of an entry of the change log, drawn from the same sequence as message ids: a
    /// node or device that has seen change `n` has seen every change before it.
    ChangeId
);
