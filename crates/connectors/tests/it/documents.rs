//! `LocalDocumentFolders` over a real temporary directory.

use std::fs;

use pincer_agents::DocumentFolders;
use pincer_connectors::LocalDocumentFolders;
use pincer_core::StoreError;

#[tokio::test(flavor = "multi_thread")]
async fn lists_real_directories_sorted_with_hidden_ones_and_without_symlinks_or_files() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    for dir in ["reports", "Contracts", "archive", ".hidden", "with space"] {
        fs::create_dir(root.path().join(dir)).unwrap();
    }
    fs::create_dir(root.path().join("reports").join("nested")).unwrap();
    fs::write(root.path().join("notes.txt"), "not a folder").unwrap();
    fs::write(root.path().join(".env"), "SECRET=1").unwrap();
    std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
    std::os::unix::fs::symlink(root.path().join("reports"), root.path().join("alias")).unwrap();
    std::os::unix::fs::symlink(root.path().join("missing"), root.path().join("dangling")).unwrap();

    let names = LocalDocumentFolders::new().folder_names(root.path()).await.unwrap();
    // Hidden names are listed: filtering them is the domain's rule.
    assert_eq!(names, [".hidden", "Contracts", "archive", "reports", "with space"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_root_is_empty() {
    let root = tempfile::tempdir().unwrap();
    let names = LocalDocumentFolders::new().folder_names(&root.path().join("absent")).await.unwrap();
    assert!(names.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_root_is_empty() {
    let root = tempfile::tempdir().unwrap();
    assert!(LocalDocumentFolders::new().folder_names(root.path()).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_root_that_is_a_symlink_to_a_directory_is_listed() {
    let real = tempfile::tempdir().unwrap();
    fs::create_dir(real.path().join("inside")).unwrap();
    let links = tempfile::tempdir().unwrap();
    let root = links.path().join("documents");
    std::os::unix::fs::symlink(real.path(), &root).unwrap();
    assert_eq!(LocalDocumentFolders::new().folder_names(&root).await.unwrap(), ["inside"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_root_that_is_a_file_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("documents");
    fs::write(&file, "x").unwrap();
    assert_eq!(LocalDocumentFolders::new().folder_names(&file).await, Err(StoreError::Unavailable));
}

#[tokio::test(flavor = "multi_thread")]
async fn names_that_are_not_utf8_are_skipped() {
    use std::os::unix::ffi::OsStrExt;
    let root = tempfile::tempdir().unwrap();
    fs::create_dir(root.path().join(std::ffi::OsStr::from_bytes(b"bad\xffname"))).unwrap();
    fs::create_dir(root.path().join("good")).unwrap();
    assert_eq!(LocalDocumentFolders::new().folder_names(root.path()).await.unwrap(), ["good"]);
}

#[tokio::test]
async fn works_on_a_current_thread_runtime_too() {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir(root.path().join("a")).unwrap();
    assert_eq!(LocalDocumentFolders::new().folder_names(root.path()).await.unwrap(), ["a"]);
}
