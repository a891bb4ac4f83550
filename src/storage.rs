//! File storage on the local file system, content-addressed by SHA-256: a file's bytes live at
//! `<data dir>/files/<first two hex digits>/<digest>`, so identical uploads are stored once.
//! Writes go to a temporary file, are synced, then renamed into place, so a crash never leaves a
//! partial file under a digest.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

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

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    /// Opens (creating) the store under `data_dir/files`.
    pub fn open(data_dir: &Path) -> io::Result<FileStore> {
        let root = data_dir.join("files");
        fs::create_dir_all(root.join("tmp"))?;
        Ok(FileStore { root })
    }

    pub fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }

    /// Stores `bytes` under their digest `sha256`; returns whether this call created the file
    /// (false when identical content was already there).
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> io::Result<bool> {
        let path = self.path(sha256);
        if path.exists() {
            return Ok(false);
        }
        let dir = path.parent().expect("a digest path has a folder");
        fs::create_dir_all(dir)?;
        let temp = self
            .root
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

    pub fn read(&self, sha256: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path(sha256))
    }

    pub fn remove(&self, sha256: &str) -> io::Result<()> {
        match fs::remove_file(self.path(sha256)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    pub fn exists(&self, sha256: &str) -> bool {
        self.path(sha256).exists()
    }
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

    #[test]
    fn stores_once_by_digest() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let bytes = b"%PDF-1.4 hello";
        let sha = digest(bytes);
        assert!(store.put(&sha, bytes).unwrap());
        assert!(!store.put(&sha, bytes).unwrap());
        assert_eq!(store.read(&sha).unwrap(), bytes);
        store.remove(&sha).unwrap();
        assert!(!store.exists(&sha));
        assert_eq!(
            fs::read_dir(dir.path().join("files/tmp")).unwrap().count(),
            0
        );
    }
}
