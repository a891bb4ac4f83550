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
                match store.head(&path).await {
                    Ok(_) => return Ok(false),
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                store.put(&path, PutPayload::from(bytes)).await?;
                Ok(true)
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

    /// Removes a content; one already gone is not an error.
    pub async fn remove(&self, sha256: &str) -> Result<(), StorageError> {
        match self {
            FileStore::Local(root) => {
                let path = root.join(key(sha256));
                match actix_web::web::block(move || fs::remove_file(path)).await? {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
                    _ => Ok(()),
                }
            }
            FileStore::ObjectStore(store) => match store.delete(&key(sha256).into()).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            },
        }
    }
}

/// An object of the store: a content named by its digest, or (`sha256` none) a temporary file
/// an interrupted upload left in the local store's `tmp/`.
#[derive(Debug, Clone)]
pub struct Stored {
    pub sha256: Option<String>,
    /// Its place in the store, for [`FileStore::remove_stored`].
    pub path: String,
    pub modified: chrono::DateTime<chrono::Utc>,
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
                            sha256: path.rsplit('/').next().map(str::to_string),
                            path,
                            modified: o.last_modified,
                        }
                    })
                    .collect())
            }
        }
    }

    /// Removes an object [`FileStore::list`] gave.
    pub async fn remove_stored(&self, stored: &Stored) -> Result<(), StorageError> {
        match (self, &stored.sha256) {
            (FileStore::Local(root), None) => {
                let path = root.join(&stored.path);
                Ok(actix_web::web::block(move || fs::remove_file(path)).await??)
            }
            (_, Some(sha256)) => self.remove(sha256).await,
            (FileStore::ObjectStore(store), None) => {
                Ok(store.delete(&stored.path.as_str().into()).await?)
            }
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
    /// Objects no row names (interrupted uploads), and how many of them were removed.
    pub orphans: usize,
    pub removed: usize,
}

impl FileStore {
    /// Compares the store with the contents rows name (`named`): every named content must be
    /// there; objects no row names are orphans, removed when older than `remove_older_than`
    /// (an upload writes its content before its row, so a young orphan may be one in flight).
    pub async fn check(
        &self,
        named: &std::collections::HashSet<String>,
        remove_older_than: Option<chrono::Duration>,
    ) -> Result<Checked, StorageError> {
        let stored = self.list().await?;
        let present: std::collections::HashSet<&str> =
            stored.iter().filter_map(|s| s.sha256.as_deref()).collect();
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
        for object in &stored {
            if object.sha256.as_ref().is_some_and(|d| named.contains(d)) {
                continue;
            }
            out.orphans += 1;
            if remove_older_than.is_some_and(|age| now - object.modified >= age) {
                self.remove_stored(object).await?;
                out.removed += 1;
            }
        }
        Ok(out)
    }
}

fn list_local(root: &Path) -> io::Result<Vec<Stored>> {
    let mut out = Vec::new();
    for dir in fs::read_dir(root)? {
        let dir = dir?;
        if !dir.file_type()?.is_dir() {
            continue;
        }
        let folder = dir.file_name().to_string_lossy().into_owned();
        for entry in fs::read_dir(dir.path())? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let modified: chrono::DateTime<chrono::Utc> = entry.metadata()?.modified()?.into();
            out.push(Stored {
                sha256: (folder != "tmp").then(|| name.clone()),
                path: format!("{folder}/{name}"),
                modified,
            });
        }
    }
    Ok(out)
}

fn put_local(root: &Path, sha256: &str, bytes: &[u8]) -> io::Result<bool> {
    let path = root.join(key(sha256));
    if path.exists() {
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
        store.remove(&sha).await.unwrap();
        store.remove(&sha).await.unwrap();
        assert!(store.read(&sha).await.is_err());
        assert_eq!(
            fs::read_dir(dir.path().join("files/tmp")).unwrap().count(),
            0
        );
    }
}
