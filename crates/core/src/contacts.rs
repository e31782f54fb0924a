//! One-way contacts.

use crate::Core;
use crate::users::{live_user, live_users_by_xcs};
use palaver_domain::{AppId, Error, Event, User, UserId, time::now_ms};
use palaver_store::repo::contacts;
use palaver_store::repo::users;
use std::collections::{BTreeSet, HashMap};

/// One line of a contact sync: `owner` gains (or, with `delete`, loses) `contact`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactChange {
    /// External id of the owner.
    pub owner: String,
    /// External id of the contact.
    pub contact: String,
    /// Remove instead of add.
    pub delete: bool,
}

impl Core {
    /// Applies contact changes: all additions first, then all deletions, so a pair listed both
    /// ways ends deleted. Returns the rows really inserted and deleted.
    pub async fn sync_contacts(&self, app: AppId, changes: Vec<ContactChange>) -> Result<(u64, u64), Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let mut xcs: Vec<String> = changes.iter().flat_map(|c| [c.owner.clone(), c.contact.clone()]).collect();
                xcs.sort();
                xcs.dedup();
                let ids: HashMap<String, UserId> =
                    live_users_by_xcs(conn, app, &xcs)?.into_iter().map(|u| (u.xc_user_id, u.id)).collect();
                let pair = |c: &ContactChange| (ids[&c.owner], ids[&c.contact]);
                let deletions: BTreeSet<(UserId, UserId)> = changes.iter().filter(|c| c.delete).map(pair).collect();
                let additions: BTreeSet<(UserId, UserId)> =
                    changes.iter().filter(|c| !c.delete).map(pair).filter(|p| !deletions.contains(p)).collect();
                let now = now_ms();
                let mut inserted = 0;
                for (owner, contact) in additions {
                    inserted += u64::from(contacts::add(conn, owner, contact, now)?);
                }
                let mut deleted = 0;
                for (owner, contact) in deletions {
                    deleted += u64::from(contacts::remove(conn, owner, contact)?);
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
    pub async fn add_contact(&self, app: AppId, owner: UserId, contact: UserId) -> Result<User, Error> {
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                live_user(conn, app, owner)?;
                let user = live_user(conn, app, contact)?;
                contacts::add(conn, owner, user.id, now_ms())?;
                Ok(user)
            })
            .await
    }

    /// Removes a user from `owner`'s contacts; returns whether it was one.
    pub async fn remove_contact(&self, owner: UserId, contact: UserId) -> Result<bool, Error> {
        self.store().write(move |tx| contacts::remove(tx.conn(), owner, contact).map_err(Error::from)).await
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
                let conn = tx.conn();
                let now = now_ms();
                let found: Vec<User> = users::by_phones(conn, app, &phones)?
                    .into_iter()
                    .filter(|u| !u.is_deleted() && u.id != owner)
                    .collect();
                for u in &found {
                    contacts::add(conn, owner, u.id, now)?;
                }
                Ok(found)
            })
            .await
    }

    /// Blocks a user for `blocker`: no more personal messages either way. Tells the
    /// blocker's sessions.
    pub async fn block_user(&self, app: AppId, blocker: UserId, blocked: UserId) -> Result<User, Error> {
        self.set_block(app, blocker, blocked, true).await
    }

    /// Lifts a block; tells the blocker's sessions.
    pub async fn unblock_user(&self, app: AppId, blocker: UserId, blocked: UserId) -> Result<User, Error> {
        self.set_block(app, blocker, blocked, false).await
    }

    async fn set_block(&self, app: AppId, blocker: UserId, blocked: UserId, block: bool) -> Result<User, Error> {
        if blocker == blocked {
            return Err(Error::invalid("userID", "A user cannot block themselves"));
        }
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let subject = live_user(conn, app, blocked)?;
                let changed = if block {
                    contacts::block(conn, blocker, blocked, now_ms())?
                } else {
                    contacts::unblock(conn, blocker, blocked)?
                };
                if changed {
                    let name = if block { "user/block" } else { "user/unblock" }.to_string();
                    tx.emit(Event::UserState { app, name, subject: subject.clone(), recipients: vec![blocker] });
                }
                Ok(subject)
            })
            .await
    }

    /// The users `blocker` has blocked.
    pub async fn blocked_users(&self, blocker: UserId) -> Result<Vec<User>, Error> {
        self.store().read(move |c| contacts::blocked_users(c, blocker).map_err(Error::from)).await
    }

    /// Users by internal id (unknown and deleted ones skipped).
    pub async fn users_by_ids(&self, app: AppId, ids: Vec<UserId>) -> Result<Vec<User>, Error> {
        self.store()
            .read(move |c| Ok(users::by_ids(c, app, &ids)?.into_iter().filter(|u| !u.is_deleted()).collect()))
            .await
    }

    /// A live user by username.
    pub async fn user_by_username(&self, app: AppId, username: String, ignore_case: bool) -> Result<User, Error> {
        self.store()
            .read(move |c| {
                users::by_username(c, app, &username, ignore_case)?.ok_or(Error::NotFound(palaver_domain::Entity::User))
            })
            .await
    }
}
