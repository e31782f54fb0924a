//! One-way contacts, and blocks between users.

use crate::Core;
use crate::changes::record;
use crate::lookup::{live_user, live_users};
use palaver_domain::{AppId, ChangeKind, Error, Field, Invalid, User, UserId, UserRef, time::now_ms};
use palaver_store::WriteTx;
use palaver_store::repo::{contacts, users};
use std::collections::{BTreeSet, HashMap};

/// One line of a contact sync: `owner` gains (or, with `delete`, loses) `contact`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactChange {
    /// The owner.
    pub owner: UserRef,
    /// The contact.
    pub contact: UserRef,
    /// Remove instead of add.
    pub delete: bool,
}

/// Adds or removes a contact and records the change (made by `actor`) if there was one.
fn set_contact(
    tx: &mut WriteTx<'_>,
    app: AppId,
    actor: Option<UserId>,
    owner: UserId,
    contact: &User,
    add: bool,
) -> Result<bool, Error> {
    let changed = if add {
        contacts::add(tx.conn(), owner, contact.id, now_ms())?
    } else {
        contacts::remove(tx.conn(), owner, contact.id)?
    };
    if changed {
        record(tx, app, actor, ChangeKind::Contact { added: add, owner, contact: contact.clone() })?;
    }
    Ok(changed)
}

impl Core {
    /// Applies contact changes: all additions first, then all deletions, so a pair listed both
    /// ways ends deleted. Returns the rows really inserted and deleted.
    pub async fn sync_contacts(&self, app: AppId, changes: Vec<ContactChange>) -> Result<(u64, u64), Error> {
        self.store()
            .write(move |tx| {
                let refs: Vec<UserRef> = changes.iter().flat_map(|c| [c.owner.clone(), c.contact.clone()]).collect();
                let found = live_users(tx.conn(), app, &refs)?;
                let by_ref: HashMap<&UserRef, &User> = refs
                    .iter()
                    .filter_map(|r| {
                        let u = found.iter().find(|u| match r {
                            UserRef::Id(id) => u.id == *id,
                            UserRef::External(x) => u.external_id == x.as_str(),
                        })?;
                        Some((r, u))
                    })
                    .collect();
                let pair = |c: &ContactChange| (by_ref[&c.owner].id, by_ref[&c.contact].id);
                let deletions: BTreeSet<(UserId, UserId)> = changes.iter().filter(|c| c.delete).map(pair).collect();
                let additions: BTreeSet<(UserId, UserId)> =
                    changes.iter().filter(|c| !c.delete).map(pair).filter(|p| !deletions.contains(p)).collect();
                let user = |id: UserId| found.iter().find(|u| u.id == id).cloned();
                let (mut inserted, mut deleted) = (0, 0);
                for (owner, contact) in additions {
                    if let Some(contact) = user(contact) {
                        inserted += u64::from(set_contact(tx, app, None, owner, &contact, true)?);
                    }
                }
                for (owner, contact) in deletions {
                    if let Some(contact) = user(contact) {
                        deleted += u64::from(set_contact(tx, app, None, owner, &contact, false)?);
                    }
                }
                Ok((inserted, deleted))
            })
            .await
    }

    /// The live users in `owner`'s contacts.
    pub async fn contacts_of(&self, owner: UserId) -> Result<Vec<User>, Error> {
        self.store().read(move |c| contacts::list(c, owner).map_err(Error::from)).await
    }

    /// Adds a user to `owner`'s contacts; returns that user.
    pub async fn add_contact(&self, app: AppId, owner: UserId, contact: UserRef) -> Result<User, Error> {
        self.store()
            .write(move |tx| {
                live_user(tx.conn(), app, &UserRef::Id(owner))?;
                let user = live_user(tx.conn(), app, &contact)?;
                set_contact(tx, app, Some(owner), owner, &user, true)?;
                Ok(user)
            })
            .await
    }

    /// Removes a user from `owner`'s contacts; returns whether it was one.
    pub async fn remove_contact(&self, app: AppId, owner: UserId, contact: UserId) -> Result<bool, Error> {
        self.store()
            .write(move |tx| {
                let Some(user) = users::by_id(tx.conn(), app, contact)? else {
                    return Ok(false);
                };
                set_contact(tx, app, Some(owner), owner, &user, false)
            })
            .await
    }

    /// Adds every user with one of these phone numbers to `owner`'s contacts; returns them.
    pub async fn add_contacts_by_phones(
        &self,
        app: AppId,
        owner: UserId,
        phones: Vec<String>,
    ) -> Result<Vec<User>, Error> {
        self.store()
            .write(move |tx| {
                let found: Vec<User> = users::by_phones(tx.conn(), app, &phones)?
                    .into_iter()
                    .filter(|u| !u.is_deleted() && u.id != owner)
                    .collect();
                for u in &found {
                    set_contact(tx, app, Some(owner), owner, u, true)?;
                }
                Ok(found)
            })
            .await
    }

    /// Blocks (or unblocks) a user for `blocker`: no personal messages either way while
    /// blocked. Returns the user.
    pub async fn set_blocked(
        &self,
        app: AppId,
        blocker: UserId,
        subject: UserId,
        blocked: bool,
    ) -> Result<User, Error> {
        if blocker == subject {
            return Err(Error::invalid(Field::User, Invalid::SameUser));
        }
        self.store()
            .write(move |tx| {
                let subject = live_user(tx.conn(), app, &UserRef::Id(subject))?;
                let changed = if blocked {
                    contacts::block(tx.conn(), blocker, subject.id, now_ms())?
                } else {
                    contacts::unblock(tx.conn(), blocker, subject.id)?
                };
                if changed {
                    let kind = ChangeKind::Block { blocked, blocker, subject: subject.clone() };
                    record(tx, app, Some(blocker), kind)?;
                }
                Ok(subject)
            })
            .await
    }

    /// The users `blocker` has blocked.
    pub async fn blocked_users(&self, blocker: UserId) -> Result<Vec<User>, Error> {
        self.store().read(move |c| contacts::blocked_users(c, blocker).map_err(Error::from)).await
    }
}
