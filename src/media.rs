//! Media stores: S3 (`MEDIA_BUCKET`) and a local directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use handlers::ports::{MediaError, MediaObject, MediaStore};

/// A file-system error: its own text names the cause (no internals to hide).
fn io_err(operation: &'static str, e: std::io::Error) -> MediaError {
    let denied = e.kind() == std::io::ErrorKind::PermissionDenied;
    let error = MediaError::new(operation, e.to_string()).with_source(e);
    if denied { error.as_fault() } else { error }
}

/// S3 error codes that say the deployment is wrong (permissions, credentials, the bucket),
/// not the request: retrying will not help until an operator fixes it.
const S3_FAULT_CODES: &[&str] = &[
    "AccessDenied",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "NoSuchBucket",
    "SignatureDoesNotMatch",
];

/// An S3 error: the caller is told S3's code and message (or that S3 was not reached); the SDK
/// error is kept as the source for logs.
fn s3_err<E, R>(operation: &'static str, e: SdkError<E, R>) -> MediaError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let fault = e
        .as_service_error()
        .and_then(|service| service.code())
        .is_some_and(|code| S3_FAULT_CODES.contains(&code));
    let message = match &e {
        // S3's words, without ARNs (role, account) or request ids: those stay in the log.
        SdkError::ServiceError(service) => format!(
            "{}: {}",
            service.err().code().unwrap_or("error"),
            handlers::error::scrub(service.err().message().unwrap_or("no message"))
        ),
        SdkError::TimeoutError(_) => "S3 did not answer in time".into(),
        SdkError::DispatchFailure(_) => "S3 could not be reached".into(),
        _ => "the S3 request failed".into(),
    };
    let error = MediaError::new(operation, message).with_source(e);
    if fault { error.as_fault() } else { error }
}

/// Media in an S3 bucket.
pub struct S3Media {
    client: Client,
    bucket: String,
}

impl S3Media {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3Media {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl MediaStore for S3Media {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<MediaObject, MediaError> {
        let size = bytes.len() as u64;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| s3_err("PutObject", e))?;
        Ok(MediaObject {
            key: key.to_string(),
            size: Some(size),
            content_type: Some(content_type.to_string()),
        })
    }

    async fn find(&self, prefix: &str) -> Result<Option<MediaObject>, MediaError> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .max_keys(1)
            .send()
            .await
            .map_err(|e| s3_err("ListObjectsV2", e))?;
        Ok(out.contents().first().and_then(|o| {
            Some(MediaObject {
                key: o.key()?.to_string(),
                size: o.size().and_then(|s| u64::try_from(s).ok()),
                content_type: None,
            })
        }))
    }

    async fn head(&self, key: &str) -> Result<Option<MediaObject>, MediaError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(MediaObject {
                key: key.to_string(),
                size: out.content_length().and_then(|s| u64::try_from(s).ok()),
                content_type: out.content_type().map(str::to_string),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(s3_err("HeadObject", e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, MediaError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let bytes = out.body.collect().await.map_err(|e| {
                    MediaError::new("GetObject", "the S3 object could not be read").with_source(e)
                })?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(s3_err("GetObject", e)),
        }
    }

    async fn get_from(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, MediaError> {
        let other = S3Media::new(self.client.clone(), bucket.to_string());
        other.get(key).await
    }

    async fn presign_get(&self, key: &str, expires_secs: u64) -> Result<String, MediaError> {
        let config = PresigningConfig::expires_in(Duration::from_secs(expires_secs))
            .map_err(|e| MediaError::new("presign", e.to_string()).with_source(e))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| s3_err("presign", e))?;
        Ok(request.uri().to_string())
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| s3_err("DeleteObject", e))?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("s3://{}", self.bucket)
    }
}

/// Media under a local directory (local mode).
pub struct LocalMedia {
    root: PathBuf,
}

impl LocalMedia {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalMedia { root: root.into() }
    }

    /// The file of a key. The key goes through the one key check
    /// ([`handlers::media::key_problem`]: relative, plain segments, no `..`, backslashes,
    /// encoded separators or control characters), and the path it names must resolve inside
    /// the root, symbolic links followed.
    fn path(&self, key: &str) -> Result<PathBuf, MediaError> {
        if let Some(problem) = handlers::media::key_problem(key) {
            return Err(MediaError::new(
                "path",
                format!("{key:?} is not a media key: it {problem}"),
            ));
        }
        let path = self.root.join(key);
        if !self.inside(&path) {
            return Err(MediaError::new(
                "path",
                format!("{key:?} resolves outside the media directory"),
            ));
        }
        Ok(path)
    }

    /// True when the deepest existing ancestor of `path` (itself if it exists) resolves under
    /// the root (or the root does not exist yet, so nothing under it can lead out).
    fn inside(&self, path: &Path) -> bool {
        let Ok(root) = std::fs::canonicalize(&self.root) else {
            return true;
        };
        path.ancestors()
            .find_map(|a| std::fs::canonicalize(a).ok())
            .is_some_and(|real| real.starts_with(&root))
    }

    fn object(&self, key: &str, path: &Path) -> Option<MediaObject> {
        let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        Some(MediaObject {
            key: key.to_string(),
            size: Some(meta.len()),
            content_type: None,
        })
    }
}

#[async_trait]
impl MediaStore for LocalMedia {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<MediaObject, MediaError> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| io_err("put", e))?;
        }
        let size = bytes.len() as u64;
        tokio::fs::write(&path, bytes)
            .await
            .map_err(|e| io_err("put", e))?;
        Ok(MediaObject {
            key: key.to_string(),
            size: Some(size),
            content_type: Some(content_type.to_string()),
        })
    }

    async fn find(&self, prefix: &str) -> Result<Option<MediaObject>, MediaError> {
        let (dir, stem) = prefix
            .rsplit_once('/')
            .map_or(("", prefix), |(d, s)| (d, s));
        let dir_path = if dir.is_empty() {
            self.root.clone()
        } else {
            self.path(dir)?
        };
        let Ok(entries) = std::fs::read_dir(&dir_path) else {
            return Ok(None);
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(stem))
            .collect();
        names.sort();
        Ok(names.first().and_then(|name| {
            let key = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            self.object(&key, &dir_path.join(name))
        }))
    }

    async fn head(&self, key: &str) -> Result<Option<MediaObject>, MediaError> {
        let path = self.path(key)?;
        Ok(self.object(key, &path))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, MediaError> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("get", e)),
        }
    }

    async fn presign_get(&self, key: &str, _expires_secs: u64) -> Result<String, MediaError> {
        let path = self.path(key)?;
        let absolute = std::fs::canonicalize(&path).map_err(|e| {
            MediaError::not_found("presign", format!("no media `{key}`")).with_source(e)
        })?;
        Ok(format!("file://{}", absolute.display()))
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("delete", e)),
        }
    }

    fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }
}
