//! Uploaded files: a component's scan or document, uploaded once (multipart) and then named by
//! its id in a dossier. The type is checked on the content (PDF, JPEG, PNG), the size is limited,
//! and a failed upload leaves neither a stored file nor a row.

use actix_multipart::{Multipart, MultipartError};
use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{policy, Principal};
use crate::db;
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::storage;
use crate::store;
use crate::store::files::File;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(upload).service(content);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileView {
    pub id: Id,
    /// The SHA-256 of the content, in hex.
    pub sha256: String,
    pub size: i64,
    /// `application/pdf`, `image/jpeg` or `image/png`, as recognized from the content.
    pub content_type: String,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
}

impl From<File> for FileView {
    fn from(f: File) -> Self {
        FileView {
            id: f.id,
            sha256: f.sha256,
            size: f.size,
            content_type: f.content_type,
            file_name: f.file_name,
            created_at: f.created_at.and_utc(),
        }
    }
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: a PDF, JPEG or PNG.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn multipart_error(e: MultipartError) -> ApiError {
    match e {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the file as multipart/form-data.",
        ),
        other => ApiError::bad_request(
            "malformed_multipart",
            format!("The upload is malformed: {other}."),
        ),
    }
}

/// Keeps the last path segment of a client's file name, without control characters, at most
/// 200 characters.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        "file".to_string()
    } else {
        cleaned
    }
}

/// Reads the one file of a multipart upload (field `file`), at most `limit` bytes: its cleaned
/// name and its bytes.
pub async fn read_upload(
    mut payload: Multipart,
    limit: usize,
) -> Result<(String, Vec<u8>), ApiError> {
    let mut found: Option<(String, Vec<u8>)> = None;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(multipart_error)?;
        if field.name() != Some("file") || found.is_some() {
            return Err(ApiError::bad_request(
                "unexpected_field",
                "Send exactly one file, in the form field named \"file\".",
            ));
        }
        let name = clean_name(
            field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .unwrap_or("file"),
        );
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::new(
                    actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "file_too_large",
                    format!("A file may have at most {limit} bytes."),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        found = Some((name, bytes));
    }
    found.ok_or_else(|| {
        ApiError::invalid_field(
            "file",
            "required",
            "send the file in the form field \"file\"",
        )
    })
}

/// Upload a file (a component's scan or document) to name later in a dossier.
#[utoipa::path(
    tag = "files",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The stored file", body = FileView),
        (status = 400, description = "A malformed upload or an unexpected field"),
        (status = 401, description = "No valid access token"),
        (status = 413, description = "The file is larger than the limit"),
        (status = 415, description = "Not multipart, or not a PDF, JPEG or PNG"),
        (status = 422, description = "No file, or an empty one"),
    ),
    security(("bearer" = []))
)]
#[post("/files")]
async fn upload(
    state: web::Data<AppState>,
    who: Principal,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let (file_name, bytes) = read_upload(payload, state.config.limits.max_upload_bytes).await?;
    if bytes.is_empty() {
        return Err(ApiError::invalid_field(
            "file",
            "empty",
            "the file is empty",
        ));
    }
    let content_type = storage::sniff(&bytes).ok_or_else(|| {
        ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_file_type",
            "Only PDF, JPEG and PNG files are accepted.",
        )
    })?;
    let file = File {
        id: Id::new(),
        owner_id: who.account_id,
        sha256: storage::digest(&bytes),
        size: bytes.len() as i64,
        content_type: content_type.to_string(),
        file_name,
        created_at: db::now(),
    };
    // The content first, then its row: a row never names a missing content. A content left
    // without a row (the row could not be written, the process died in between) is removed by
    // `motcua files check --remove-orphans`, never here: another upload of the same content may
    // be about to name it.
    state
        .files
        .put(&file.sha256, bytes)
        .await
        .map_err(ApiError::internal)?;
    let row = file.clone();
    state
        .db(move |conn| Ok(store::files::insert(conn, &row)?))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/files/{}/content", file.id),
        ))
        .json(FileView::from(file)))
}

/// Download a file: its uploader, and the officials handling a dossier that uses it.
#[utoipa::path(
    tag = "files",
    params(("id" = Id, Path, description = "The file's id")),
    responses(
        (status = 200, description = "The file's bytes", content(
            (String = "application/pdf"),
            (String = "image/jpeg"),
            (String = "image/png"),
        )),
        (status = 401, description = "No valid access token"),
        (status = 404, description = "No such file, or not one the caller may read"),
    ),
    security(("bearer" = []))
)]
#[get("/files/{id}/content")]
async fn content(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let file = state
        .db(move |conn| {
            let file = store::files::find(conn, id)?.ok_or_else(|| ApiError::not_found("File"))?;
            let through_dossier = match policy::handling_scope(&who) {
                Some(scope) => {
                    let using = store::files::dossiers_using(conn, id)?;
                    store::dossiers::any_visible(conn, &using, &scope)?
                }
                None => false,
            };
            if file.owner_id != who.account_id && !through_dossier {
                return Err(ApiError::not_found("File"));
            }
            Ok(file)
        })
        .await?;
    let bytes = state
        .files
        .read(&file.sha256)
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, file.content_type.clone()))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                file.file_name.replace('"', "")
            ),
        ))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(super::clean_name("../../etc/passwd"), "passwd");
        assert_eq!(
            super::clean_name("C:\\scan\\giay khai sinh.pdf"),
            "giay khai sinh.pdf"
        );
        assert_eq!(super::clean_name("a\nb.pdf"), "ab.pdf");
        assert_eq!(super::clean_name(""), "file");
    }
}
