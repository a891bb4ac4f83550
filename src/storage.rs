//! File storage, content-addressed by SHA-256: a content lives under `<2 hex digits>/<digest>`,
//! so identical uploads are stored once. By default on the local file system under
//! `<data dir>/files`, written to a temporary file, synced and renamed, so that a crash never
//! leaves a partial file under a digest; or in an S3-compatible object store when configured.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

use crate::config::S3Config;

/// The types accepted for uploads, recognized by their content (not by the name or the header).
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// The lower-case hex SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn key(sha256: &str) -> String {
    format!("{}/{}", &sha256[..2], sha256)
}

/// Where contents are kept.
#[derive(Clone)]
pub enum FileStore {
    Local(PathBuf),
    ObjectStore(Arc<dyn ObjectStore>),
}

pub type StorageError = Box<dyn std::error::Error + Send + Sync>;

impl FileStore {
    /// The local store under `data_dir/files`, created if needed.
    pub fn local(data_dir: &Path) -> io::Result<FileStore> {
        let root = data_dir.join("files");
        fs::create_dir_all(root.join("tmp"))?;
        Ok(FileStore::Local(root))
    }

    /// An S3-compatible bucket.
    pub fn s3(config: &S3Config) -> Result<FileStore, String> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region);
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(id), Some(secret)) = (&config.access_key_id, &config.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        let store = builder
            .build()
            .map_err(|e| format!("cannot configure the S3 store: {e}"))?;
        Ok(FileStore::ObjectStore(Arc::new(store)))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            FileStore::Local(_) => "local",
            FileStore::ObjectStore(_) => "s3",
        }
    }

    /// Stores `bytes` under their digest `sha256`; returns whether this call created the
    /// content (false when identical content was already there).
    pub async fn put(&self, sha256: &str, bytes: Vec<u8>) -> Result<bool, StorageError> {
        match self {
            FileStore::Local(root) => {
                let root = root.clone();
                let sha256 = sha256.to_string();
                Ok(actix_web::web::block(move || put_local(&root, &sha256, &bytes)).await??)
            }
            FileStore::ObjectStore(store) => {
                let path = key(sha256).into();
                let created = match store.head(&path).await {
                    Ok(_) => false,
                    Err(object_store::Error::NotFound { .. }) => true,
                    Err(e) => return Err(e.into()),
                };
                // Written even when it is there: S3 has no way to touch an object but to write
                // it, and the same bytes make it young again, so that `motcua files check`
                // never removes a content that an upload has just reused (as on the local store).
                store.put(&path, PutPayload::from(bytes)).await?;
                Ok(created)
            }
        }
    }

    pub async fn read(&self, sha256: &str) -> Result<Vec<u8>, StorageError> {
        match self {
            FileStore::Local(root) => {
                let path = root.join(key(sha256));
                Ok(actix_web::web::block(move || fs::read(path)).await??)
            }
            FileStore::ObjectStore(store) => {
                let result = store.get(&key(sha256).into()).await?;
                Ok(result.bytes().await?.to_vec())
            }
        }
    }
}

/// An object of the store: a content named by its digest, a temporary file an interrupted
/// upload left in the local store's `tmp/`, or something else (never ours to remove).
#[derive(Debug, Clone)]
pub struct Stored {
    pub kind: StoredKind,
    /// Its place in the store (`ab/ab12…`, `tmp/…`).
    pub path: String,
    pub modified: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredKind {
    /// A content, with its digest.
    Content(String),
    Temporary,
    Foreign,
}

impl StoredKind {
    /// What the object at `path` is: `xx/<64 hex digits starting with xx>`, `tmp/<name>`, or
    /// anything else.
    fn of(path: &str) -> StoredKind {
        let hex = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match path.split_once('/') {
            Some(("tmp", name)) if !name.is_empty() && !name.contains('/') => StoredKind::Temporary,
            Some((folder, name))
                if folder.len() == 2
                    && name.len() == 64
                    && hex(name)
                    && name.starts_with(folder) =>
            {
                StoredKind::Content(name.to_string())
            }
            _ => StoredKind::Foreign,
        }
    }
}

impl FileStore {
    /// Every object of the store.
    pub async fn list(&self) -> Result<Vec<Stored>, StorageError> {
        match self {
            FileStore::Local(root) => {
                let root = root.clone();
                Ok(actix_web::web::block(move || list_local(&root)).await??)
            }
            FileStore::ObjectStore(store) => {
                use futures_util::TryStreamExt;
                let objects: Vec<object_store::ObjectMeta> = store.list(None).try_collect().await?;
                Ok(objects
                    .into_iter()
                    .map(|o| {
                        let path = o.location.to_string();
                        Stored {
                            kind: StoredKind::of(&path),
                            path,
                            modified: o.last_modified,
                        }
                    })
                    .collect())
            }
        }
    }

    /// The modification time of the object at `path` now (`None` once it is gone).
    async fn modified(
        &self,
        path: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StorageError> {
        match self {
            FileStore::Local(root) => {
                let path = root.join(path);
                let found = actix_web::web::block(move || fs::metadata(path)).await?;
                match found {
                    Ok(meta) => Ok(Some(meta.modified()?.into())),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e.into()),
                }
            }
            FileStore::ObjectStore(store) => match store.head(&path.into()).await {
                Ok(meta) => Ok(Some(meta.last_modified)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// Removes the object at `path` (one already gone is not an error).
    async fn remove_path(&self, path: &str) -> Result<(), StorageError> {
        match self {
            FileStore::Local(root) => {
                let path = root.join(path);
                match actix_web::web::block(move || fs::remove_file(path)).await? {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
                    _ => Ok(()),
                }
            }
            FileStore::ObjectStore(store) => match store.delete(&path.into()).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            },
        }
    }
}

/// What [`FileStore::check`] found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Objects in the store.
    pub stored: usize,
    /// Contents rows name that the store does not have.
    pub missing: Vec<String>,
    /// Contents no row names and temporary files (interrupted uploads), and how many of them
    /// were removed.
    pub orphans: usize,
    pub removed: usize,
    /// Objects that are neither (left alone).
    pub foreign: Vec<String>,
}

impl FileStore {
    /// Compares the store with the contents rows name: every named content must be there;
    /// contents no row names and temporary files are orphans, removed when older than
    /// `remove_older_than`. The store is listed before `named` reads the rows, so a content
    /// stored and named meanwhile is never taken for an orphan; and each orphan is checked
    /// again just before it goes (`is_named` reads the rows; `put` refreshes the modification
    /// time of a content it finds, so a content an upload has just reused is young again).
    pub async fn check(
        &self,
        named: impl FnOnce() -> Result<std::collections::HashSet<String>, String>,
        is_named: impl Fn(&str) -> Result<bool, String>,
        remove_older_than: Option<chrono::Duration>,
    ) -> Result<Checked, StorageError> {
        let stored = self.list().await?;
        let named = named()?;
        let present: std::collections::HashSet<&str> = stored
            .iter()
            .filter_map(|s| match &s.kind {
                StoredKind::Content(digest) => Some(digest.as_str()),
                _ => None,
            })
            .collect();
        let mut missing: Vec<String> = named
            .iter()
            .filter(|n| !present.contains(n.as_str()))
            .cloned()
            .collect();
        missing.sort();
        let mut out = Checked {
            stored: stored.len(),
            missing,
            ..Checked::default()
        };
        let now = chrono::Utc::now();
        let old = |at: chrono::DateTime<chrono::Utc>| {
            remove_older_than.is_some_and(|age| now - at >= age)
        };
        for object in &stored {
            let digest = match &object.kind {
                StoredKind::Content(digest) if named.contains(digest) => continue,
                StoredKind::Content(digest) => Some(digest.as_str()),
                StoredKind::Temporary => None,
                StoredKind::Foreign => {
                    out.foreign.push(object.path.clone());
                    continue;
                }
            };
            out.orphans += 1;
            if !old(object.modified) {
                continue;
            }
            if let Some(digest) = digest {
                if is_named(digest)? {
                    continue;
                }
            }
            match self.modified(&object.path).await? {
                Some(at) if old(at) => {
                    self.remove_path(&object.path).await?;
                    out.removed += 1;
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

fn list_local(root: &Path) -> io::Result<Vec<Stored>> {
    let mut out = Vec::new();
    for dir in fs::read_dir(root)? {
        let dir = dir?;
        let folder = dir.file_name().to_string_lossy().into_owned();
        if !dir.file_type()?.is_dir() {
            out.push(Stored {
                kind: StoredKind::Foreign,
                modified: dir.metadata()?.modified()?.into(),
                path: folder,
            });
            continue;
        }
        let entries = match fs::read_dir(dir.path()) {
            Ok(entries) => entries,
            // Not ours to read (lost+found on a mount point): reported, never touched.
            Err(_) => {
                out.push(Stored {
                    kind: StoredKind::Foreign,
                    modified: chrono::Utc::now(),
                    path: format!("{folder}/"),
                });
                continue;
            }
        };
        for entry in entries {
            let entry = entry?;
            let path = format!("{folder}/{}", entry.file_name().to_string_lossy());
            let modified: chrono::DateTime<chrono::Utc> = match entry.metadata() {
                Ok(meta) => meta.modified()?.into(),
                // Renamed or removed meanwhile (an upload in flight): not there any more.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            out.push(Stored {
                kind: StoredKind::of(&path),
                path,
                modified,
            });
        }
    }
    Ok(out)
}

fn put_local(root: &Path, sha256: &str, bytes: &[u8]) -> io::Result<bool> {
    let path = root.join(key(sha256));
    if path.exists() {
        // Young again: `motcua files check` never removes a content an upload has just reused.
        fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(std::time::SystemTime::now())?;
        return Ok(false);
    }
    let dir = path.parent().expect("a digest path has a folder");
    fs::create_dir_all(dir)?;
    let temp = root
        .join("tmp")
        .join(format!("{sha256}.{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, &path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map(|()| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_accepted_types() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff(b"MZ\x90\0 an executable"), None);
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[actix_web::test]
    async fn stores_once_by_digest() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::local(dir.path()).unwrap();
        let bytes = b"%PDF-1.4 hello".to_vec();
        let sha = digest(&bytes);
        assert!(store.put(&sha, bytes.clone()).await.unwrap());
        assert!(!store.put(&sha, bytes.clone()).await.unwrap());
        assert_eq!(store.read(&sha).await.unwrap(), bytes);
        // Removing is idempotent: a content already gone is not an error.
        store.remove_path(&key(&sha)).await.unwrap();
        store.remove_path(&key(&sha)).await.unwrap();
        assert!(store.read(&sha).await.is_err());
        assert_eq!(
            fs::read_dir(dir.path().join("files/tmp")).unwrap().count(),
            0
        );
    }
}
