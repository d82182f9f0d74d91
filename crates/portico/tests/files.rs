//! The file store (issue 14): the same bytes in and out of a folder and of
//! S3-compatible storage — `s3s-fs` on loopback, an S3 API over a folder,
//! which the test command installs — and a signed form's scan filed and
//! opened through it, then destroyed.
mod common;

use common::TestServer;
use portico_app::files::{Files, S3};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// `s3s-fs` on a free loopback port, over a fresh folder with one bucket;
/// stopped when dropped.
struct S3Server {
    child: Child,
    s3: S3,
    root: std::path::PathBuf,
}

impl S3Server {
    fn start() -> S3Server {
        let root = std::env::temp_dir().join(format!(
            "portico-s3-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(root.join("portico-files")).expect("bucket folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--access-key",
                "portico-test",
                "--secret-key",
                "portico-test-secret",
            ])
            .arg(&root)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs (cargo install s3s-fs --version 0.14.1 --features binary)");
        // It says when it listens.
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        loop {
            match lines.next() {
                Some(Ok(l)) if l.contains("server is running") => break,
                Some(Ok(_)) => continue,
                _ => panic!("s3s-fs stopped before listening"),
            }
        }
        std::thread::spawn(move || for _ in lines {});
        S3Server {
            child,
            s3: S3 {
                endpoint: format!("http://127.0.0.1:{port}"),
                bucket: "portico-files".into(),
                region: "us-east-1".into(),
                access_key: "portico-test".into(),
                secret_key: "portico-test-secret".into(),
            },
            root,
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}

async fn round_trip(f: &Files) {
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    f.put("forms/2026/abc.pdf", bytes.clone())
        .await
        .expect("put");
    assert_eq!(f.get("forms/2026/abc.pdf").await.expect("get"), bytes);
    f.delete("forms/2026/abc.pdf").await.expect("delete");
    assert!(matches!(
        f.get("forms/2026/abc.pdf").await,
        Err(portico_core::Error::NotFound)
    ));
    // Deleting what is gone is no error: a purge may run twice.
    f.delete("forms/2026/abc.pdf").await.expect("delete again");
}

#[tokio::test]
async fn the_same_bytes_come_back_from_a_folder_and_from_s3() {
    let dir = std::env::temp_dir().join(format!("portico-files-{}", std::process::id()));
    round_trip(&Files::folder(&dir).expect("folder")).await;
    let _ = std::fs::remove_dir_all(&dir);
    let s3 = S3Server::start();
    let f = Files::s3(&s3.s3).expect("s3");
    round_trip(&f).await;
    // The bytes really are in the S3 server's folder while kept.
    f.put("forms/x.png", b"\x89PNG".to_vec()).await.unwrap();
    assert!(s3.root.join("portico-files/forms/x.png").exists());
}

#[tokio::test]
async fn a_signed_scan_is_filed_and_opened_through_s3() {
    let s3 = S3Server::start();
    let files = Files::s3(&s3.s3).expect("s3");
    let s =
        TestServer::start_configured(20, Default::default(), move |a| a.with_files(files)).await;
    // The demo's own scans went to S3 too: the statistician's waiting form
    // opens for its approver.
    let mut mgr = s.signed_in("stat_mgr").await;
    let (st, body) = mgr.get("/access/approvals").await;
    assert_eq!(st, 200, "{body}");
    let id = common::between(&body, "/access/forms/", "\"");
    let (st, png) = mgr
        .get_bytes(&format!("/access/forms/{id}/attachment"))
        .await;
    assert_eq!(st, 200);
    assert!(png.starts_with(b"\x89PNG"));
    let on_disk = walk(&s3.root.join("portico-files/forms"));
    assert!(on_disk >= 4, "{on_disk} files in the bucket");
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { walk(&p) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}
