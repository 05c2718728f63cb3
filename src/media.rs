//! Media stores: S3 (`MEDIA_BUCKET`) and a local directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use handlers::ports::{MediaError, MediaObject, MediaStore};

fn err(operation: &'static str, e: impl std::fmt::Display) -> MediaError {
    MediaError {
        operation,
        message: e.to_string(),
        not_found: false,
    }
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
            .map_err(|e| err("PutObject", aws_sdk_s3::error::DisplayErrorContext(e)))?;
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
            .map_err(|e| err("ListObjectsV2", aws_sdk_s3::error::DisplayErrorContext(e)))?;
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
            Err(e) => Err(err("HeadObject", aws_sdk_s3::error::DisplayErrorContext(e))),
        }
    }

    async fn presign_get(&self, key: &str, expires_secs: u64) -> Result<String, MediaError> {
        let config = PresigningConfig::expires_in(Duration::from_secs(expires_secs))
            .map_err(|e| err("presign", e))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| err("presign", aws_sdk_s3::error::DisplayErrorContext(e)))?;
        Ok(request.uri().to_string())
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| err("DeleteObject", aws_sdk_s3::error::DisplayErrorContext(e)))?;
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

    /// The file of a key; keys are relative and may not climb out of the root.
    fn path(&self, key: &str) -> Result<PathBuf, MediaError> {
        let relative = Path::new(key);
        if key.is_empty()
            || relative.is_absolute()
            || relative
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(MediaError {
                operation: "path",
                message: format!("`{key}` is not a media key"),
                not_found: false,
            });
        }
        Ok(self.root.join(relative))
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
                .map_err(|e| err("put", e))?;
        }
        let size = bytes.len() as u64;
        tokio::fs::write(&path, bytes)
            .await
            .map_err(|e| err("put", e))?;
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

    async fn presign_get(&self, key: &str, _expires_secs: u64) -> Result<String, MediaError> {
        let path = self.path(key)?;
        let absolute = std::fs::canonicalize(&path).map_err(|_| MediaError {
            operation: "presign",
            message: format!("no media `{key}`"),
            not_found: true,
        })?;
        Ok(format!("file://{}", absolute.display()))
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(err("delete", e)),
        }
    }

    fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }
}
