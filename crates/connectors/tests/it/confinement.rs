//! Property: no path a model can send escapes the granted folders. Paths are generated from the
//! names in a real tree (relative, absolute, with `..`, `.`, empty segments, hidden folders and
//! symlinks pointing out of the grant, to a hidden folder, to `/etc`, and to a sibling whose name
//! is not UTF-8 but reads like the grant's once decoded lossily), and both file tools are called
//! with each. Whatever they return must come from inside a grant.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use pincer_agents::tools::files::FileTools;
use pincer_agents::tools::{DocumentReader, FolderEntry};
use pincer_connectors::LocalDocuments;
use pincer_core::StoreError;
use proptest::prelude::*;
use serde_json::json;

/// Text found only outside the grants or in hidden places: no answer may contain it.
const FORBIDDEN: &str = "FORBIDDEN";

/// The grant names used: a plain one, and one with U+FFFD, the character a lossy decoding of the
/// non-UTF-8 sibling `hr\xff` produces.
const PLAIN: &str = "hr";
const REPLACEMENT: &str = "hr\u{FFFD}";

struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn write(path: PathBuf, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::Builder::new().prefix("pincer-confine-").tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let bytes_sibling = root.join(OsStr::from_bytes(b"hr\xff"));
        for grant in [PLAIN, REPLACEMENT] {
            let g = root.join(grant);
            write(g.join("policy.md"), "inside: policy");
            write(g.join("sub/notes.md"), "inside: notes");
            write(g.join(".git/config"), "FORBIDDEN: hidden config");
            symlink(root.join("outside"), g.join("link-out")).unwrap();
            symlink(root.join("outside/FORBIDDEN-secret.md"), g.join("link-file")).unwrap();
            symlink(g.join("sub"), g.join("link-in")).unwrap();
            symlink(g.join(".git"), g.join("link-hidden")).unwrap();
            symlink(&bytes_sibling, g.join("link-bytes")).unwrap();
            symlink("/etc", g.join("link-etc")).unwrap();
            symlink("../hr2", g.join("link-sibling")).unwrap();
        }
        write(root.join("hr2/FORBIDDEN-salaries.md"), "FORBIDDEN: salaries");
        write(root.join("outside/FORBIDDEN-secret.md"), "FORBIDDEN: outside");
        write(bytes_sibling.join("FORBIDDEN-bytes.md"), "FORBIDDEN: not-UTF-8 sibling");
        Tree { _dir: dir, root }
    }

    fn grant(&self, name: &str) -> String {
        self.root.join(name).to_string_lossy().into_owned()
    }
}

/// The segments paths are built from: every name in the tree and the tricky ones.
const SEGMENTS: &[&str] = &[
    PLAIN,
    REPLACEMENT,
    "hr2",
    "outside",
    "sub",
    "policy.md",
    "notes.md",
    ".git",
    "config",
    "FORBIDDEN-secret.md",
    "FORBIDDEN-salaries.md",
    "FORBIDDEN-bytes.md",
    "link-out",
    "link-file",
    "link-in",
    "link-hidden",
    "link-bytes",
    "link-etc",
    "link-sibling",
    "passwd",
    "etc",
    "..",
    ".",
    "",
    "missing",
];

/// How a generated path starts.
#[derive(Clone, Copy, Debug)]
enum Start {
    Relative,
    FilesystemRoot,
    DocumentsRoot,
    Grant,
}

fn path_strategy() -> impl Strategy<Value = (Start, Vec<&'static str>, bool)> {
    (
        prop_oneof![Just(Start::Relative), Just(Start::FilesystemRoot), Just(Start::DocumentsRoot), Just(Start::Grant)],
        proptest::collection::vec(proptest::sample::select(SEGMENTS), 1..6),
        any::<bool>(),
    )
}

fn grant_sets() -> impl Strategy<Value = Vec<&'static str>> {
    prop_oneof![Just(vec![PLAIN]), Just(vec![REPLACEMENT]), Just(vec![PLAIN, REPLACEMENT])]
}

/// Whether `path` (canonical) is a granted folder or below one, with no hidden segment below it,
/// compared component by component on the raw bytes.
fn inside(path: &Path, grants: &[PathBuf]) -> bool {
    grants.iter().any(|g| {
        path.strip_prefix(g).is_ok_and(|below| below.components().all(|c| !c.as_os_str().as_bytes().starts_with(b".")))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_generated_path_escapes_a_granted_folder(grant_names in grant_sets(), (start, segments, slash) in path_strategy()) {
        let tree = Tree::new();
        let grants: Vec<String> = grant_names.iter().map(|g| tree.grant(g)).collect();
        let canonical_grants: Vec<PathBuf> = grants.iter().map(|g| std::fs::canonicalize(g).unwrap()).collect();
        let mut raw = match start {
            Start::Relative => String::new(),
            Start::FilesystemRoot => "/".to_string(),
            Start::DocumentsRoot => format!("{}/", tree.root.display()),
            Start::Grant => format!("{}/", grants[0]),
        };
        raw.push_str(&segments.join("/"));
        if slash {
            raw.push('/');
        }
        prop_assume!(!raw.trim().is_empty());

        let reader = LocalDocuments;
        let tools = FileTools::new(&reader, &tree.root, &grants);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        for tool in ["pinchy_ls", "pinchy_read"] {
            let result = runtime.block_on(tools.call(tool, &json!({ "path": raw })));
            let Ok(text) = result else { continue };
            prop_assert!(!text.contains(FORBIDDEN), "{tool} {raw:?} with grants {grant_names:?} returned: {text}");
            // What was read is inside a grant, as the filesystem resolves it.
            let requested = if Path::new(raw.trim()).is_absolute() {
                PathBuf::from(raw.trim())
            } else {
                Path::new(&grants[0]).join(raw.trim())
            };
            let resolved = std::fs::canonicalize(&requested).unwrap();
            prop_assert!(inside(&resolved, &canonical_grants), "{tool} {raw:?} read {}", resolved.display());
        }
    }
}

/// A granted folder that leads outside the documents root (a symlink to `/etc`, or one put in
/// place of the folder after it was granted) grants nothing (security review M8).
#[tokio::test]
async fn a_grant_that_leads_outside_the_documents_root_grants_nothing() {
    let outside = tempfile::Builder::new().prefix("pincer-outside-").tempdir().unwrap();
    write(outside.path().join("secret.md"), "FORBIDDEN: outside the documents root");
    let docs = tempfile::Builder::new().prefix("pincer-docs-").tempdir().unwrap();
    let root = std::fs::canonicalize(docs.path()).unwrap();
    write(root.join("hr/policy.md"), "inside: policy");
    symlink(outside.path(), root.join("elsewhere")).unwrap();
    symlink("/etc", root.join("etc")).unwrap();
    let grants: Vec<String> =
        ["hr", "elsewhere", "etc"].iter().map(|g| root.join(g).to_string_lossy().into_owned()).collect();
    let tools = FileTools::new(&LocalDocuments, &root, &grants);
    let read = |path: PathBuf| {
        let tools = &tools;
        async move { tools.call("pinchy_read", &json!({"path": path})).await.map_err(|e| e.to_string()) }
    };
    assert_eq!(read(root.join("hr/policy.md")).await.unwrap(), "inside: policy");
    for escaped in [root.join("elsewhere/secret.md"), root.join("etc/hostname")] {
        let refused = read(escaped.clone()).await.unwrap_err();
        assert!(refused.contains("outside the folders"), "{}: {refused}", escaped.display());
    }
    let listing = tools.call("pinchy_ls", &json!({"path": root.join("elsewhere")})).await;
    assert!(listing.is_err(), "{listing:?}");
    // The folder was fine when granted, and became a link to elsewhere afterwards.
    std::fs::remove_dir_all(root.join("hr")).unwrap();
    symlink(outside.path(), root.join("hr")).unwrap();
    assert!(read(root.join("hr/secret.md")).await.unwrap_err().contains("outside the folders"));
}

/// The reader a racing attacker leaves behind: each time the tools resolve the target (their
/// check), the real answer is returned and then the target is swapped — a file for a symlink to a
/// secret outside the grant, a sub-folder for a symlink to a folder outside — before the open.
struct SwapAfterCheck {
    target: PathBuf,
    replacement: PathBuf,
}

#[async_trait::async_trait]
impl DocumentReader for SwapAfterCheck {
    async fn resolve(&self, path: &Path) -> Result<PathBuf, StoreError> {
        let resolved = LocalDocuments.resolve(path).await;
        if path == self.target && std::fs::symlink_metadata(&self.target).is_ok_and(|m| !m.is_symlink()) {
            if self.target.is_dir() {
                std::fs::remove_dir_all(&self.target).unwrap();
            } else {
                std::fs::remove_file(&self.target).unwrap();
            }
            symlink(&self.replacement, &self.target).unwrap();
        }
        resolved
    }

    async fn list(&self, root: &Path, relative: &Path) -> Result<Vec<FolderEntry>, StoreError> {
        LocalDocuments.list(root, relative).await
    }

    async fn read(&self, root: &Path, relative: &Path, max_bytes: usize) -> Result<(Vec<u8>, bool), StoreError> {
        LocalDocuments.read(root, relative, max_bytes).await
    }
}

/// The check-then-open race: the path passes the check as a plain file (or folder) inside the
/// grant and is a symlink out of it by the time it is opened. The open happens beneath the
/// grant, so the swap finds nothing instead of the secret.
#[tokio::test]
async fn a_file_swapped_for_a_link_between_check_and_open_cannot_escape() {
    let docs = tempfile::Builder::new().prefix("pincer-race-").tempdir().unwrap();
    let root = std::fs::canonicalize(docs.path()).unwrap();
    write(root.join("hr/policy.md"), "inside: policy");
    write(root.join("hr/sub/notes.md"), "inside: notes");
    write(root.join("finance/salaries.md"), "FORBIDDEN: salaries");
    let grants = vec![root.join("hr").to_string_lossy().into_owned()];

    let file = SwapAfterCheck { target: root.join("hr/policy.md"), replacement: root.join("finance/salaries.md") };
    let read = FileTools::new(&file, &root, &grants).call("pinchy_read", &json!({"path": file.target})).await;
    assert!(std::fs::symlink_metadata(&file.target).unwrap().is_symlink(), "the swap happened before the open");
    let refused = read.expect_err("the swapped file must not be read");
    assert!(!refused.to_string().contains(FORBIDDEN), "{refused}");

    let folder = SwapAfterCheck { target: root.join("hr/sub"), replacement: root.join("finance") };
    let listing = FileTools::new(&folder, &root, &grants).call("pinchy_ls", &json!({"path": folder.target})).await;
    assert!(std::fs::symlink_metadata(&folder.target).unwrap().is_symlink(), "the swap happened before the open");
    assert!(listing.as_ref().is_err_and(|e| !e.to_string().contains("salaries")), "{listing:?}");
}
