//! LocalDocuments on a real temporary folder: resolution through symlinks, listings that do not
//! follow links, bounded reads.

use std::path::Path;

use pincer_agents::chat::DocumentReader;
use pincer_connectors::files::LocalDocuments;
use pincer_core::StoreError;

#[tokio::test]
async fn resolves_lists_and_reads_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::create_dir(root.join("hr")).unwrap();
    std::fs::write(root.join("hr/policy.md"), "# Leave\n\n25 days.").unwrap();
    std::fs::write(root.join("secret.txt"), "outside").unwrap();
    std::os::unix::fs::symlink(root.join("secret.txt"), root.join("hr/link.txt")).unwrap();

    let docs = LocalDocuments;
    assert_eq!(docs.resolve(&root.join("hr/../hr/policy.md")).await.unwrap(), root.join("hr/policy.md"));
    assert_eq!(docs.resolve(&root.join("hr/link.txt")).await.unwrap(), root.join("secret.txt"), "links are resolved");
    assert_eq!(docs.resolve(&root.join("hr/missing.md")).await, Err(StoreError::NotFound));

    let mut entries = docs.list(&root.join("hr")).await.unwrap();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<(&str, bool, u64)> = entries.iter().map(|e| (e.name.as_str(), e.is_dir, e.size)).collect();
    assert_eq!(names, [("link.txt", false, 0), ("policy.md", false, 17)], "a link is listed as a link, not followed");
    assert_eq!(docs.list(&root.join("hr/policy.md")).await, Err(StoreError::Conflict("not_a_folder")));

    assert_eq!(docs.read(&root.join("hr/policy.md"), 1024).await.unwrap(), (b"# Leave\n\n25 days.".to_vec(), false));
    assert_eq!(docs.read(&root.join("hr/policy.md"), 7).await.unwrap(), (b"# Leave".to_vec(), true));
    assert!(!docs.read(&root.join("hr/policy.md"), 17).await.unwrap().1, "exactly the limit is not cut");
    assert_eq!(docs.read(&root.join("hr"), 10).await, Err(StoreError::Conflict("is_a_folder")));
    assert_eq!(docs.read(Path::new("/definitely/not/here"), 10).await, Err(StoreError::NotFound));
}
