//! The file store: the bytes of uploaded files (signed forms' scans,
//! undertakings; later announcements and photos) through `object_store`, in
//! the data folder on one node, or S3-compatible storage when several nodes
//! serve one city. The database row (`store::files`) says what a file is;
//! the bytes are written before the row, so a row never names bytes that
//! were not kept.
use crate::{App, Error, Result};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use portico_core::files::{FileKind, clean_name};
use portico_core::ids::{AccountId, FileId};
use portico_store::{Conn, files};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Where the bytes go.
#[derive(Debug, Clone)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
    /// What an operator reads in the logs: `folder data/files`, `s3 …`.
    pub describe: String,
}

/// An S3-compatible bucket.
#[derive(Debug, Clone, Default)]
pub struct S3 {
    /// `http://127.0.0.1:9000`, or the provider's endpoint.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

fn store_err(e: object_store::Error) -> Error {
    Error::internal(format!("file store: {e}"))
}

impl Files {
    /// Kept in memory: tests and benchmarks that need no files kept.
    pub fn memory() -> Files {
        Files {
            store: Arc::new(object_store::memory::InMemory::new()),
            describe: "memory".into(),
        }
    }

    /// A folder on this machine, created when missing.
    pub fn folder(dir: &std::path::Path) -> Result<Files> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::internal(format!("file store {}: {e}", dir.display())))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(store_err)?;
        Ok(Files {
            store: Arc::new(fs),
            describe: format!("folder {}", dir.display()),
        })
    }

    /// An S3-compatible bucket, by path-style requests (what MinIO,
    /// s3s and Ceph answer).
    pub fn s3(s: &S3) -> Result<Files> {
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&s.endpoint)
            .with_bucket_name(&s.bucket)
            .with_region(if s.region.is_empty() {
                "us-east-1"
            } else {
                &s.region
            })
            .with_access_key_id(&s.access_key)
            .with_secret_access_key(&s.secret_key)
            .with_allow_http(s.endpoint.starts_with("http://"))
            .with_virtual_hosted_style_request(false)
            .build()
            .map_err(store_err)?;
        Ok(Files {
            store: Arc::new(store),
            describe: format!("s3 {} bucket {}", s.endpoint, s.bucket),
        })
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(&Path::from(key), PutPayload::from(bytes))
            .await
            .map_err(store_err)?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        match self.store.get(&Path::from(key)).await {
            Ok(r) => Ok(r.bytes().await.map_err(store_err)?.to_vec()),
            Err(object_store::Error::NotFound { .. }) => Err(Error::NotFound),
            Err(e) => Err(store_err(e)),
        }
    }

    /// Destroys a file's bytes; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_err(e)),
        }
    }
}

/// Bytes written to the store, waiting for their row.
#[derive(Debug, Clone)]
pub(crate) struct Stashed {
    key: String,
    name: String,
    kind: FileKind,
    size: i64,
    sha256: String,
}

/// A file as it is read back: its row and its bytes.
#[derive(Debug, Clone)]
pub struct FileBytes {
    pub file: files::StoredFile,
    pub bytes: Vec<u8>,
}

impl App {
    /// Where uploaded files go (in memory until this is called).
    pub fn with_files(mut self, f: Files) -> App {
        self.files = f;
        self
    }

    pub fn files(&self) -> &Files {
        &self.files
    }

    /// Writes the bytes of an upload already checked as `kind` under a
    /// fresh key, before any row names them.
    pub(crate) async fn stash_upload(
        &self,
        folder: &str,
        name: &str,
        kind: FileKind,
        bytes: Vec<u8>,
    ) -> Result<Stashed> {
        let key = format!(
            "{folder}/{}/{}.{}",
            self.now().to_offset(portico_core::time::TAIPEI).year(),
            crate::random_token(16)?,
            kind.as_str()
        );
        let sha256 = portico_core::audit::hex(&Sha256::digest(&bytes));
        let size = bytes.len() as i64;
        self.files.put(&key, bytes).await?;
        Ok(Stashed {
            key,
            name: clean_name(name),
            kind,
            size,
            sha256,
        })
    }

    /// Destroys stashed bytes whose row was never written (the filing was
    /// refused); a failure is logged, the bytes then orphaned.
    pub(crate) async fn drop_stashed(&self, s: &Stashed) {
        if let Err(e) = self.files.delete(&s.key).await {
            tracing::warn!(key = %s.key, error = %e, "an unfiled upload stays in the file store");
        }
    }

    /// The row of stashed bytes, in the caller's transaction.
    pub(crate) async fn keep_stashed(
        &self,
        c: &mut Conn,
        owner: AccountId,
        s: &Stashed,
    ) -> Result<FileId> {
        files::insert(
            c,
            &files::NewFile {
                key: &s.key,
                name: &s.name,
                kind: s.kind,
                size: s.size,
                sha256: &s.sha256,
                owner: Some(owner),
            },
            self.now(),
        )
        .await
    }

    /// A kept file's row and bytes; a purged one is not found.
    pub(crate) async fn read_kept(&self, id: FileId) -> Result<FileBytes> {
        let file = files::get(&mut *self.db.read().await?, id)
            .await?
            .ok_or(Error::NotFound)?;
        if file.purged_at.is_some() {
            return Err(Error::NotFound);
        }
        let bytes = self.files.get(&file.key).await?;
        Ok(FileBytes { file, bytes })
    }
}
