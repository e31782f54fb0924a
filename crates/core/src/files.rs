//! Files shared in rooms: metadata in the database, bytes under `<data dir>/files/<app>/`.
//!
//! An upload streams to a temporary file as it arrives (never whole in memory), is cut off
//! once it passes the size limit, and becomes a file only when it is complete and its
//! uploader is a participant of the room. Uploads in progress are capped per user and in all.
//! Files go with their room, and with their message when it is deleted for everyone.

use crate::lookup::{live_user_by_id, member_room};
use crate::messages::personal_room_of;
use crate::{Core, secrets};
use palaver_domain::{AppId, Entity, Error, Field, Invalid, RoomRef, StoredFile, UserId, time::now_ms};
use palaver_store::WriteTx;
use palaver_store::repo::files;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Longest file name kept, in characters.
const MAX_FILE_NAME_CHARS: usize = 255;

/// The media type a file is stored (and later served) with: the declared one when it looks
/// like one (`type/subtype`, header-safe, at most 255 bytes), lowercased, else
/// `application/octet-stream`.
fn stored_media_type(declared: Option<&str>) -> String {
    match declared {
        Some(m) if m.len() <= 255 && m.contains('/') && m.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) => {
            m.to_ascii_lowercase()
        }
        _ => "application/octet-stream".into(),
    }
}

/// The caps on uploads in progress.
pub(crate) struct Uploads {
    total: Arc<Semaphore>,
    per_user: Mutex<HashMap<(AppId, UserId), usize>>,
    max_per_user: usize,
}

impl Uploads {
    /// At most `total` uploads at once, `per_user` of them by one user.
    pub(crate) fn new(total: usize, per_user: usize) -> Arc<Uploads> {
        Arc::new(Uploads {
            total: Arc::new(Semaphore::new(total)),
            per_user: Mutex::new(HashMap::new()),
            max_per_user: per_user,
        })
    }
}

/// A place among the uploads in progress, given back on drop.
struct UploadSlot {
    uploads: Arc<Uploads>,
    user: (AppId, UserId),
    _total: OwnedSemaphorePermit,
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        let mut per_user = self.uploads.per_user.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = per_user.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                per_user.remove(&self.user);
            }
        }
    }
}

/// Bytes an upload gathers before they are written to disk in one go.
const WRITE_BLOCK: usize = 256 * 1024;

/// An upload in progress. Dropped unfinished, its temporary file is removed.
///
/// Each upload reuses one block buffer and writes it on a blocking thread when full: writing
/// every network chunk through `tokio::fs` allocated a buffer per chunk on whichever blocking
/// thread took it, and 16 concurrent 25 MiB uploads grew the process by about 80 MiB.
pub struct Upload {
    core: Core,
    app: AppId,
    user: UserId,
    temp: PathBuf,
    file: Option<(std::fs::File, Vec<u8>)>,
    written: u64,
    /// Largest size accepted, in bytes.
    max: u64,
    /// The file's first bytes, where an image's header tells its size.
    head: Vec<u8>,
    _slot: UploadSlot,
}

/// Bytes of a file's beginning kept to read an image's dimensions (enough for the formats
/// whose header may come after metadata, such as JPEG with EXIF).
const HEAD_BYTES: usize = 64 * 1024;

/// A completed upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uploaded {
    /// The stored file.
    pub file: StoredFile,
    /// Width and height, for an image whose header tells them.
    pub image_size: Option<(u32, u32)>,
}

/// A stored file opened for reading.
pub struct OpenedFile {
    /// What is known of it.
    pub record: StoredFile,
    /// Its bytes.
    pub file: tokio::fs::File,
}

/// Creates a file only its owner may read or write.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Writes a block on a blocking thread, handing the file and the emptied buffer back.
async fn write_block(file: std::fs::File, block: Vec<u8>, sync: bool) -> Result<(std::fs::File, Vec<u8>), Error> {
    tokio::task::spawn_blocking(move || {
        let (mut file, mut block) = (file, block);
        file.write_all(&block)?;
        if sync {
            file.sync_all()?;
        }
        block.clear();
        Ok::<_, std::io::Error>((file, block))
    })
    .await
    .map_err(Error::internal)?
    .map_err(Error::internal)
}

impl Core {
    fn files_dir(&self) -> PathBuf {
        self.config().data_dir.join("files")
    }

    fn file_path(&self, app: AppId, id: &str) -> PathBuf {
        self.files_dir().join(app.0.to_string()).join(id)
    }

    /// Starts an upload by a user: refused when the user or the server has too many
    /// uploads in progress.
    pub async fn begin_upload(&self, app: AppId, user: UserId) -> Result<Upload, Error> {
        self.rates().user(app, user, crate::Rated::Upload)?;
        let uploads = self.inner_uploads().clone();
        let total = uploads.total.clone().try_acquire_owned().map_err(|_| Error::Unavailable)?;
        {
            let mut per_user = uploads.per_user.lock().unwrap_or_else(|p| p.into_inner());
            let n = per_user.entry((app, user)).or_insert(0);
            if *n >= uploads.max_per_user {
                return Err(Error::RateLimited { retry_after_secs: 1 });
            }
            *n += 1;
        }
        let slot = UploadSlot { uploads, user: (app, user), _total: total };
        let dir = self.files_dir().join("incoming");
        tokio::fs::create_dir_all(&dir).await.map_err(Error::internal)?;
        let temp = dir.join(secrets::random_token(24));
        let path = temp.clone();
        let file = tokio::task::spawn_blocking(move || create_private(&path))
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal)?;
        let block = Vec::with_capacity(WRITE_BLOCK);
        Ok(Upload {
            core: self.clone(),
            app,
            user,
            temp,
            file: Some((file, block)),
            written: 0,
            max: self.config().max_file_bytes,
            head: Vec::new(),
            _slot: slot,
        })
    }

    /// Starts the upload of a user or room photo: like [`Core::begin_upload`], and at most
    /// [`MAX_PHOTO_BYTES`](palaver_domain::limits::MAX_PHOTO_BYTES) large.
    pub async fn begin_photo_upload(&self, app: AppId, user: UserId) -> Result<Upload, Error> {
        let mut upload = self.begin_upload(app, user).await?;
        upload.max = upload.max.min(palaver_domain::limits::MAX_PHOTO_BYTES);
        Ok(upload)
    }

    /// Removes what unfinished uploads left behind (a crash mid-upload); run at start.
    pub(crate) fn sweep_incoming(&self) {
        if let Ok(entries) = std::fs::read_dir(self.files_dir().join("incoming")) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// A file and its bytes, for a participant of the room it was shared in.
    pub async fn open_file(&self, app: AppId, user: UserId, room: RoomRef, id: String) -> Result<OpenedFile, Error> {
        let record = self
            .store()
            .read(move |c| {
                let room = member_room(c, app, user, &room)?;
                files::by_id(c, &id)?
                    .filter(|f| f.app == app && f.room == Some(room.id))
                    .ok_or(Error::NotFound(Entity::File))
            })
            .await?;
        self.open_stored(record).await
    }

    /// A file by its unguessable id alone, for the public `fileURL` clients may fetch directly.
    pub async fn open_file_by_id(&self, id: String) -> Result<OpenedFile, Error> {
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::NotFound(Entity::File));
        }
        let record = self.store().read(move |c| files::by_id(c, &id)?.ok_or(Error::NotFound(Entity::File))).await?;
        self.open_stored(record).await
    }

    async fn open_stored(&self, record: StoredFile) -> Result<OpenedFile, Error> {
        let file = tokio::fs::File::open(self.file_path(record.app, &record.id))
            .await
            .map_err(|_| Error::NotFound(Entity::File))?;
        Ok(OpenedFile { record, file })
    }

    /// Removes the bytes of files whose rows a committed change deleted.
    pub(crate) async fn remove_file_bytes(&self, gone: Vec<StoredFile>) {
        for f in gone {
            if let Err(e) = tokio::fs::remove_file(self.file_path(f.app, &f.id)).await {
                tracing::warn!(error = %e.kind(), "removing a deleted file's bytes");
            }
        }
    }
}

impl Upload {
    /// The app of the uploader.
    pub(crate) fn app(&self) -> AppId {
        self.app
    }

    /// The uploader.
    pub(crate) fn user(&self) -> UserId {
        self.user
    }

    /// Appends the next bytes; fails once the upload is larger than the server accepts.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let max = self.max;
        self.written += chunk.len() as u64;
        if self.written > max {
            self.file = None;
            return Err(Error::invalid(Field::File, Invalid::TooLarge { max_bytes: max }));
        }
        let (file, mut block) = self.file.take().ok_or_else(|| Error::internal("write after a failed write"))?;
        if self.head.len() < HEAD_BYTES {
            self.head.extend_from_slice(&chunk[..chunk.len().min(HEAD_BYTES - self.head.len())]);
        }
        block.extend_from_slice(chunk);
        self.file =
            Some(if block.len() >= WRITE_BLOCK { write_block(file, block, false).await? } else { (file, block) });
        Ok(())
    }

    /// Completes the upload as a file shared in `room`, which the uploader must be a
    /// participant of (a personal room of the uploader's comes into being for it), or as a
    /// file of no room (`None`), kept until its app is gone. The file keeps its name (`file`
    /// when none is given, cut at 255 characters) and its declared media type when it looks
    /// like one.
    pub async fn finish(
        self,
        room: Option<RoomRef>,
        file_name: Option<&str>,
        declared_type: Option<&str>,
    ) -> Result<Uploaded, Error> {
        let (app, user) = (self.app, self.user);
        let (uploaded, ()) = self
            .complete(file_name, declared_type, false, move |tx, record| {
                record.room = match room {
                    None => {
                        live_user_by_id(tx.conn(), app, user)?;
                        None
                    }
                    Some(RoomRef::Personal(a, b)) => {
                        let uploader = live_user_by_id(tx.conn(), app, user)?;
                        Some(personal_room_of(tx, app, &uploader, a, b)?.0.id)
                    }
                    Some(other) => Some(member_room(tx.conn(), app, user, &other)?.id),
                };
                Ok(())
            })
            .await?;
        Ok(uploaded)
    }

    /// Completes the upload: the bytes become a file (named as [`Upload::finish`] says), whose
    /// row is stored in one transaction with what `store` writes; `store` may tie the file to
    /// a room. With `image_only`, anything but an image whose header tells its size (SVG
    /// included) is refused. If `store` fails, the bytes go too.
    pub(crate) async fn complete<T, F>(
        mut self,
        file_name: Option<&str>,
        declared_type: Option<&str>,
        image_only: bool,
        store: F,
    ) -> Result<(Uploaded, T), Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteTx<'_>, &mut StoredFile) -> Result<T, Error> + Send + 'static,
    {
        let file_name: String = file_name.unwrap_or("file").chars().take(MAX_FILE_NAME_CHARS).collect();
        let media_type = stored_media_type(declared_type);
        let (file, block) = self.file.take().ok_or_else(|| Error::internal("finish after a failed write"))?;
        drop(write_block(file, block, true).await?);
        let (app, user) = (self.app, self.user);
        let image_size = media_type
            .starts_with("image/")
            .then(|| imagesize::blob_size(&self.head).ok())
            .flatten()
            .and_then(|s| Some((u32::try_from(s.width).ok()?, u32::try_from(s.height).ok()?)));
        if image_only && (image_size.is_none() || media_type.contains("svg")) {
            return Err(Error::invalid(Field::File, Invalid::NotImage));
        }
        let id = secrets::random_token(32);
        let path = self.core.file_path(app, &id);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(Error::internal)?;
        }
        tokio::fs::rename(&self.temp, &path).await.map_err(Error::internal)?;
        let size = self.written as i64;
        // Whatever `store` checks (a room, for instance) is checked in the transaction that
        // stores the file's row; if either fails, the bytes go too.
        let stored = self
            .core
            .store()
            .write(move |tx| {
                let mut record =
                    StoredFile { id, app, room: None, uploader: user, file_name, media_type, size, created: now_ms() };
                let out = store(tx, &mut record)?;
                files::insert(tx.conn(), &record)?;
                Ok::<_, Error>((record, out))
            })
            .await;
        match stored {
            Ok((file, out)) => Ok((Uploaded { file, image_size }, out)),
            Err(e) => {
                let _ = tokio::fs::remove_file(&path).await;
                Err(e)
            }
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // After `finish` the temporary file has been renamed away; this then does nothing.
        let _ = std::fs::remove_file(&self.temp);
    }
}

#[cfg(test)]
mod tests {
    use super::stored_media_type;

    #[test]
    fn a_declared_media_type_is_kept_only_when_it_looks_like_one() {
        assert_eq!(stored_media_type(Some("Image/PNG")), "image/png");
        for odd in [None, Some("png"), Some("text/html\r\nX: y"), Some("a/\u{e9}")] {
            assert_eq!(stored_media_type(odd), "application/octet-stream", "{odd:?}");
        }
        assert_eq!(stored_media_type(Some(&format!("a/{}", "b".repeat(300)))), "application/octet-stream");
    }
}
