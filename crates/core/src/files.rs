//! Files shared in rooms: metadata in the database, bytes under `<data dir>/files/<app>/`.

use crate::lookup::member_room;
use crate::{Core, secrets};
use palaver_domain::{AppId, Entity, Error, Field, Invalid, RoomRef, StoredFile, UserId, time::now_ms};
use palaver_store::repo::files;
use std::path::PathBuf;

impl Core {
    fn file_path(&self, app: AppId, id: &str) -> PathBuf {
        self.config().data_dir.join("files").join(app.0.to_string()).join(id)
    }

    /// Stores a file a participant shares in a room.
    pub async fn save_file(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        file_name: String,
        media_type: String,
        bytes: Vec<u8>,
    ) -> Result<StoredFile, Error> {
        let max = self.config().max_file_bytes;
        if bytes.len() as u64 > max {
            return Err(Error::invalid(Field::File, Invalid::TooLarge { max_bytes: max }));
        }
        let room = self.store().read(move |c| member_room(c, app, user, &room)).await?;
        let record = StoredFile {
            id: secrets::random_token(32),
            app,
            room: room.id,
            uploader: user,
            file_name,
            media_type,
            size: bytes.len() as i64,
            created: now_ms(),
        };
        let path = self.file_path(app, &record.id);
        let dir = path.parent().map(PathBuf::from).unwrap_or_default();
        let partial = path.with_extension("partial");
        tokio::fs::create_dir_all(&dir).await.map_err(Error::internal)?;
        tokio::fs::write(&partial, &bytes).await.map_err(Error::internal)?;
        tokio::fs::rename(&partial, &path).await.map_err(Error::internal)?;
        let row = record.clone();
        if let Err(e) = self.store().write(move |tx| files::insert(tx.conn(), &row).map_err(Error::from)).await {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e);
        }
        Ok(record)
    }

    /// A file and its bytes, for a participant of the room it was shared in.
    pub async fn load_file(
        &self,
        app: AppId,
        user: UserId,
        room: RoomRef,
        id: String,
    ) -> Result<(StoredFile, Vec<u8>), Error> {
        let record = self
            .store()
            .read(move |c| {
                let room = member_room(c, app, user, &room)?;
                files::by_id(c, &id)?.filter(|f| f.app == app && f.room == room.id).ok_or(Error::NotFound(Entity::File))
            })
            .await?;
        let bytes =
            tokio::fs::read(self.file_path(app, &record.id)).await.map_err(|_| Error::NotFound(Entity::File))?;
        Ok((record, bytes))
    }

    /// A file by its unguessable id alone, for the public `fileURL` clients may fetch directly.
    pub async fn load_file_by_id(&self, id: String) -> Result<(StoredFile, Vec<u8>), Error> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::NotFound(Entity::File));
        }
        let record = self.store().read(move |c| files::by_id(c, &id)?.ok_or(Error::NotFound(Entity::File))).await?;
        let bytes =
            tokio::fs::read(self.file_path(record.app, &record.id)).await.map_err(|_| Error::NotFound(Entity::File))?;
        Ok((record, bytes))
    }
}
