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
    let bucket_store = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&bucket)
        .with_region("us-east-1")
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .build()
        .unwrap();
    let modified = |sha: &str| {
        use object_store::ObjectStoreExt;
        let path = format!("{}/{sha}", &sha[..2]).into();
        actix_web::rt::System::new()
            .block_on(bucket_store.head(&path))
            .unwrap()
            .last_modified
    };
    let bytes = b"%PDF-1.4\nto khai trong S3".to_vec();
    let (first, _) = upload(&w.app, &w.citizen, "to-khai.pdf", &bytes);
    let first = first.ok(201).clone();
    let sha = first["sha256"].as_str().unwrap();
    let stored_at = modified(sha);
    // The same content again (S3 times count in seconds): one object, young again, so that
    // `files check` cannot take it for an old orphan while the new row is being written.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (second, _) = upload(&w.app, &w.citizen, "ban-sao.pdf", &bytes);
    second.ok(201);
    assert_eq!(w.app.count("files"), 2);
    assert!(modified(sha) > stored_at);

    // The content is in the bucket, once, under its digest; nothing under the data folder.
    let config = motcua::config::S3Config {
        bucket: bucket.clone(),
        region: "us-east-1".to_string(),
        endpoint: Some(endpoint.clone()),
        access_key_id: Some("test".to_string()),
        secret_access_key: Some("test".to_string()),
    };
    let named = {
        let mut conn = w.app.pool.get().unwrap();
        motcua::store::files::named_contents(&mut conn).unwrap()
    };
    let (stored, keys, checked) = actix_web::rt::System::new().block_on(async {
        use futures_util::StreamExt;
        use object_store::ObjectStore;
        let store = motcua::storage::FileStore::s3(&config).unwrap();
        let stored = store.read(sha).await.unwrap();
        // `motcua files check` lists the bucket: the one content, named, no orphan.
        let checked = store
            .check(|| Ok(named), |_| Ok(true), Some(chrono::Duration::zero()))
            .await
            .unwrap();
        let keys: Vec<String> = bucket_store
            .list(None)
            .map(|meta| meta.unwrap().location.to_string())
            .collect()
            .await;
        (stored, keys, checked)
    });
    assert_eq!(stored, bytes);
    assert_eq!(
        (checked.stored, checked.missing.len(), checked.orphans),
        (1, 0, 0)
    );
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

#[test]
fn files_check_finds_missing_contents_and_removes_orphans() {
    let w = World::new();
    let file = w.upload(&w.citizen, "to khai");
    let data = w.app.data_dir().to_path_buf();
    let check = |args: &[&str]| {
        let mut all = vec!["files", "check"];
        all.extend_from_slice(args);
        w.app.command_with_data(&data, &all)
    };
    let (ok, out) = check(&[]);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "1 stored objects; 0 contents named by rows are missing; 0 orphans, 0 removed"
        ),
        "{out}"
    );

    // What an interrupted upload leaves: a content no row names, and a temporary file.
    let orphan = "ab".repeat(32);
    std::fs::create_dir_all(data.join("files/ab")).unwrap();
    std::fs::write(data.join(format!("files/ab/{orphan}")), b"%PDF-1.4 orphan").unwrap();
    std::fs::write(data.join("files/tmp/cd.partial"), b"%PDF-1.4 half").unwrap();
    let (ok, out) = check(&["--remove-orphans"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "3 stored objects; 0 contents named by rows are missing; 2 orphans, 0 removed"
        ),
        "young orphans stay: {out}"
    );
    let (ok, out) = check(&["--remove-orphans", "--grace-minutes", "0"]);
    assert!(ok, "{out}");
    assert!(out.contains("2 orphans, 2 removed"), "{out}");
    assert!(!data.join(format!("files/ab/{orphan}")).exists());
    assert!(!data.join("files/tmp/cd.partial").exists());

    // Something not ours is reported and left alone.
    std::fs::write(data.join("files/README"), b"kept by the operator").unwrap();
    let (ok, out) = check(&["--remove-orphans", "--grace-minutes", "0"]);
    assert!(ok, "{out}");
    assert!(out.contains("not ours (left alone): README"), "{out}");
    assert!(data.join("files/README").exists());

    // An old orphan whose content is uploaded again is named, and young again: it stays.
    let reused = b"%PDF-1.4\nda co tu truoc".to_vec();
    let digest = motcua::storage::digest(&reused);
    let path = data.join(format!("files/{}/{digest}", &digest[..2]));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &reused).unwrap();
    let hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(hours_ago)
        .unwrap();
    upload(&w.app, &w.citizen, "lai.pdf", &reused).0.ok(201);
    let age = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert!(
        age > hours_ago + std::time::Duration::from_secs(3600),
        "refreshed"
    );
    let (ok, out) = check(&["--remove-orphans"]);
    assert!(ok, "{out}");
    assert!(out.contains("0 orphans, 0 removed"), "{out}");
    assert!(path.exists());

    // A row whose content is gone is an error, and named.
    let row = w
        .app
        .get(&format!("/api/v1/files/{file}/content"), Some(&w.citizen));
    assert_eq!(row.status, 200);
    let digest = motcua::storage::digest(b"%PDF-1.4\nto khai");
    std::fs::remove_file(data.join(format!("files/{}/{digest}", &digest[..2]))).unwrap();
    let (ok, out) = check(&[]);
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("missing: {digest}")), "{out}");
    assert!(
        out.contains("1 contents named by rows are missing"),
        "{out}"
    );
}
