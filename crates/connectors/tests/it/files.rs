//! LocalDocuments on a real temporary folder: resolution through symlinks, listings that do not
//! follow links, bounded reads, and opens that never leave the folder they are made beneath.

use std::os::unix::fs::symlink;
use std::path::Path;

use pincer_agents::tools::DocumentReader;
use pincer_connectors::files::LocalDocuments;
use pincer_core::StoreError;

#[tokio::test]
async fn resolves_lists_and_reads_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let hr = root.join("hr");
    std::fs::create_dir(&hr).unwrap();
    std::fs::write(hr.join("policy.md"), "# Leave\n\n25 days.").unwrap();
    std::fs::create_dir(hr.join("sub")).unwrap();
    std::fs::write(hr.join("sub/notes.md"), "notes").unwrap();
    std::fs::write(root.join("secret.txt"), "outside").unwrap();
    symlink(root.join("secret.txt"), hr.join("link.txt")).unwrap();

    let docs = LocalDocuments;
    assert_eq!(docs.resolve(&root.join("hr/../hr/policy.md")).await.unwrap(), hr.join("policy.md"));
    assert_eq!(docs.resolve(&hr.join("link.txt")).await.unwrap(), root.join("secret.txt"), "links are resolved");
    assert_eq!(docs.resolve(&hr.join("missing.md")).await, Err(StoreError::NotFound));

    let mut entries = docs.list(&hr, Path::new("")).await.unwrap();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<(&str, bool, u64)> = entries.iter().map(|e| (e.name.as_str(), e.is_dir, e.size)).collect();
    assert_eq!(names[0], ("link.txt", false, 0), "a link is listed as a link, not followed");
    assert_eq!(names[1], ("policy.md", false, 17));
    assert_eq!(names[2].0, "sub");
    assert_eq!(docs.list(&hr, Path::new("sub")).await.unwrap()[0].name, "notes.md");
    assert_eq!(docs.list(&hr, Path::new("policy.md")).await, Err(StoreError::Conflict(pincer_core::Rule::NotAFolder)));

    let policy = Path::new("policy.md");
    assert_eq!(docs.read(&hr, policy, 1024).await.unwrap(), (b"# Leave\n\n25 days.".to_vec(), false));
    assert_eq!(docs.read(&hr, policy, 7).await.unwrap(), (b"# Leave".to_vec(), true));
    assert!(!docs.read(&hr, policy, 17).await.unwrap().1, "exactly the limit is not cut");
    assert_eq!(docs.read(&hr, Path::new("sub"), 10).await, Err(StoreError::Conflict(pincer_core::Rule::IsAFolder)));
    assert_eq!(docs.read(Path::new("/definitely/not/here"), policy, 10).await, Err(StoreError::NotFound));
}

/// Whatever the filesystem holds when the open happens, it does not leave the folder: a link to a
/// file outside (absolute or relative), a link to a folder outside on the way, `..`, or an
/// absolute path are all refused as not found.
#[tokio::test]
async fn opens_never_leave_the_folder_they_are_made_beneath() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let hr = root.join("hr");
    std::fs::create_dir_all(hr.join("inner")).unwrap();
    std::fs::write(hr.join("inner/ok.md"), "inside").unwrap();
    std::fs::create_dir(root.join("outside")).unwrap();
    std::fs::write(root.join("outside/secret.md"), "FORBIDDEN").unwrap();
    symlink(root.join("outside/secret.md"), hr.join("absolute.md")).unwrap();
    symlink("../outside/secret.md", hr.join("relative.md")).unwrap();
    symlink(root.join("outside"), hr.join("out")).unwrap();
    symlink("inner/ok.md", hr.join("inside.md")).unwrap();

    let docs = LocalDocuments;
    for escape in ["absolute.md", "relative.md", "out/secret.md", "../outside/secret.md", "/etc/hostname"] {
        assert_eq!(docs.read(&hr, Path::new(escape), 100).await, Err(StoreError::NotFound), "{escape}");
    }
    assert_eq!(docs.list(&hr, Path::new("out")).await, Err(StoreError::NotFound));
    // A relative link that stays inside is followed.
    assert_eq!(docs.read(&hr, Path::new("inside.md"), 100).await.unwrap().0, b"inside");
}
