//! Files in an S3-compatible bucket (with `TEST_S3_ENDPOINT`, e.g. a local moto server): the same
//! uploads, downloads and deduplication as on the local file system, with nothing written under
//! the data folder.

use serde_json::json;

use crate::dossiers::{upload, World};

#[test]
fn files_live_in_an_s3_bucket_when_configured() {
    let Ok(endpoint) = std::env::var("TEST_S3_ENDPOINT") else {
        eprintln!("TEST_S3_ENDPOINT is not set: the S3 store is not exercised");
        return;
    };
    let bucket = format!("motcua-{}", uuid::Uuid::new_v4().simple());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let created = agent
        .put(format!("{endpoint}/{bucket}"))
        .send_empty()
        .unwrap();
    assert_eq!(created.status().as_u16(), 200, "the test bucket is created");
    let w = World::with(|c| {
        c.s3 = Some(motcua::config::S3Config {
            bucket: bucket.clone(),
            region: "us-east-1".to_string(),
            endpoint: Some(endpoint.clone()),
            access_key_id: Some("test".to_string()),
            secret_access_key: Some("test".to_string()),
        })
    });
    let bytes = b"%PDF-1.4\nto khai trong S3".to_vec();
    let (first, _) = upload(&w.app, &w.citizen, "to-khai.pdf", &bytes);
    let first = first.ok(201).clone();
    let (second, _) = upload(&w.app, &w.citizen, "ban-sao.pdf", &bytes);
    second.ok(201);
    assert_eq!(w.app.count("files"), 2);
    let sha = first["sha256"].as_str().unwrap();

    // The content is in the bucket, once, under its digest; nothing under the data folder.
    let config = motcua::config::S3Config {
        bucket: bucket.clone(),
        region: "us-east-1".to_string(),
        endpoint: Some(endpoint.clone()),
        access_key_id: Some("test".to_string()),
        secret_access_key: Some("test".to_string()),
    };
    let (stored, keys) = actix_web::rt::System::new().block_on(async {
        use futures_util::StreamExt;
        use object_store::ObjectStore;
        let store = motcua::storage::FileStore::s3(&config).unwrap();
        let stored = store.read(sha).await.unwrap();
        let bucket = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region("us-east-1")
            .with_endpoint(&endpoint)
            .with_allow_http(true)
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .build()
            .unwrap();
        let keys: Vec<String> = bucket
            .list(None)
            .map(|meta| meta.unwrap().location.to_string())
            .collect()
            .await;
        (stored, keys)
    });
    assert_eq!(stored, bytes);
    assert_eq!(keys, [format!("{}/{sha}", &sha[..2])]);
    let local = w.app.data_dir().join("files");
    let stored_locally = std::fs::read_dir(&local)
        .map(|entries| {
            entries
                .filter(|e| e.as_ref().unwrap().file_name() != "tmp")
                .count()
        })
        .unwrap_or(0);
    assert_eq!(stored_locally, 0);

    // It is read back from the bucket, and a dossier made from it is digitized from it too.
    let id = first["id"].as_str().unwrap();
    let download = w
        .app
        .get(&format!("/api/v1/files/{id}/content"), Some(&w.citizen));
    assert_eq!(download.status, 200);
    assert_eq!(download.text.as_bytes(), bytes.as_slice());
    let body = json!({"procedure_id": w.procedure["id"], "channel": "online",
                      "components": [{"component_id": w.component(0), "file_id": id},
                                     {"component_id": w.component(1), "file_id": w.upload(&w.citizen, "giay chung sinh")}]});
    let d = w
        .app
        .post("/api/v1/dossiers", Some(&w.citizen), body)
        .ok(201)
        .clone();
    let d = w.step(&w.reception, &d, json!({"action": "receive"}));
    let docs = w.app.post(
        &format!("/api/v1/dossiers/{}/digitize", d["id"].as_str().unwrap()),
        Some(&w.reception),
        json!({}),
    );
    let doc = docs.ok(201)[0]["id"].as_str().unwrap().to_string();
    let content = w.app.get(
        &format!("/api/v1/documents/{doc}/content"),
        Some(&w.citizen),
    );
    assert_eq!(content.status, 200);
}
