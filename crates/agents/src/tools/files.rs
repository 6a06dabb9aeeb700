//! The file tools (`files:ls` and `files:read`, shown as `pinchy_ls` and `pinchy_read`) and their
//! confinement: a path is resolved on the real filesystem (symlinks included) and must then lie
//! inside a granted folder — checked component by component on the raw path bytes, so `/data/hr2`
//! is not inside `/data/hr` — with no hidden segment anywhere below it. Deny by default: anything
//! unclear is refused.
//!
//! The check decides; the open enforces. The file or folder is then opened *beneath* the granted
//! folder (capability-based, in the adapter), so a file swapped for a symlink between the check
//! and the open still cannot lead out of the grant.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use pincer_core::{Rule, StoreError};
use serde_json::{Value, json};

use super::ToolId;
use super::provider::{OfferedTool, ToolContext, ToolFailure, ToolProvider};
use crate::chat::ToolSpec;
use crate::template::{TOOL_LS, TOOL_READ};

/// An entry of a listed folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderEntry {
    /// The entry's name.
    pub name: String,
    /// Whether it is a folder.
    pub is_dir: bool,
    /// Its size in bytes (0 for a folder).
    pub size: u64,
}

/// The files the file tools reach. Confinement is decided by the domain (it resolves a path with
/// [`DocumentReader::resolve`] and checks the result) and enforced by the adapter, which opens
/// what it lists or reads beneath the granted folder: the resolution of `relative` never leaves
/// `root`, whatever the filesystem looks like by then.
#[async_trait]
pub trait DocumentReader: Send + Sync + 'static {
    /// The canonical path (every symlink resolved); `NotFound` when it does not exist.
    async fn resolve(&self, path: &Path) -> Result<PathBuf, StoreError>;
    /// The entries of the directory `relative` beneath `root` (`""` is `root` itself), by name
    /// (`is_dir` and `size` as the entry itself says, a symlink not followed);
    /// `Conflict(Rule::NotAFolder)` when it is not a directory; `NotFound` when it does not exist
    /// or its resolution would leave `root`.
    async fn list(&self, root: &Path, relative: &Path) -> Result<Vec<FolderEntry>, StoreError>;
    /// At most `max_bytes` of the regular file `relative` beneath `root`, and whether it was cut;
    /// `Conflict(Rule::IsAFolder)` when it is a directory; `NotFound` as for `list`.
    async fn read(&self, root: &Path, relative: &Path, max_bytes: usize) -> Result<(Vec<u8>, bool), StoreError>;
}

/// The most a read returns to the model.
pub const MAX_READ_BYTES: usize = 256 * 1024;
/// The most entries a listing returns.
pub const MAX_LIST_ENTRIES: usize = 500;
/// Files the reader treats as text by extension (others must look like UTF-8 text).
const TEXT_EXTENSIONS: [&str; 14] =
    ["txt", "md", "markdown", "csv", "tsv", "json", "yaml", "yml", "log", "xml", "html", "htm", "rst", "ini"];

/// Why a file tool call produced no result. The message goes to the model (and the
/// conversation), so it names no path outside the grant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// The arguments are not what the tool takes.
    #[error("arguments are invalid: {0}")]
    BadArguments(&'static str),
    /// The path is outside the granted folders.
    #[error("access denied: the path is outside the folders this agent may read")]
    OutsideGrant,
    /// The path has a hidden segment.
    #[error("access denied: hidden files and folders cannot be read")]
    Hidden,
    /// Nothing there.
    #[error("no such file or folder")]
    NotFound,
    /// A folder where a file was expected.
    #[error("this is a folder; use pinchy_ls")]
    IsFolder,
    /// Not a folder where one was expected.
    #[error("this is not a folder; use pinchy_read")]
    NotFolder,
    /// Not a text file.
    #[error("the file is not a text file")]
    NotText,
    /// The files could not be read.
    #[error("the file system is unavailable")]
    Unavailable,
}

impl From<StoreError> for ToolError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(Rule::NotAFolder) => Self::NotFolder,
            StoreError::Conflict(Rule::IsAFolder) => Self::IsFolder,
            StoreError::Conflict(Rule::NotAFile) => Self::NotText,
            // No other rule concerns the documents.
            StoreError::Conflict(_) | StoreError::Unavailable => Self::Unavailable,
        }
    }
}

/// The specs of the file tools among `granted`, in a fixed order.
pub fn specs(granted: &[&ToolId]) -> Vec<OfferedTool> {
    let mut out = Vec::new();
    let ls = ToolId::new(NAMESPACE, "ls");
    let read = ToolId::new(NAMESPACE, "read");
    if granted.contains(&&ls) {
        out.push(OfferedTool {
            id: ls,
            spec: ToolSpec {
                name: TOOL_LS.to_string(),
                description: "List the files and folders in a folder you have access to. Without a path, lists the \
                          folders you were granted."
                    .to_string(),
                parameters: json!({
                    "type": "object",
                    "properties": {"path": {"type": "string", "description": "Absolute path of the folder"}},
                }),
            },
        });
    }
    if granted.contains(&&read) {
        out.push(OfferedTool {
            id: read,
            spec: ToolSpec {
                name: TOOL_READ.to_string(),
                description: "Read a text file (plain text, Markdown, CSV, JSON, …) in a folder you have access to."
                    .to_string(),
                parameters: json!({
                    "type": "object",
                    "properties": {"path": {"type": "string", "description": "Absolute path of the file"}},
                    "required": ["path"],
                }),
            },
        });
    }
    out
}

/// The namespace of the file tools' grants.
pub const NAMESPACE: &str = "files";

/// The file tools as a [`ToolProvider`]: confined to the calling agent's granted folders, and
/// those only while they lie inside the documents root.
pub struct FileToolProvider {
    reader: Arc<dyn DocumentReader>,
    documents_root: PathBuf,
}

impl FileToolProvider {
    /// The file tools over `reader`, confined to grants inside `documents_root`.
    pub fn new(reader: Arc<dyn DocumentReader>, documents_root: PathBuf) -> Self {
        Self { reader, documents_root }
    }
}

#[async_trait]
impl ToolProvider for FileToolProvider {
    fn namespace(&self) -> &str {
        NAMESPACE
    }

    async fn has_tool(&self, name: &str) -> bool {
        matches!(name, "ls" | "read")
    }

    async fn offer(&self, _ctx: &ToolContext<'_>, granted: &[&ToolId]) -> Vec<OfferedTool> {
        specs(granted)
    }

    async fn call(&self, ctx: &ToolContext<'_>, tool: &ToolId, arguments: &Value) -> Result<String, ToolFailure> {
        let tools = FileTools::new(self.reader.as_ref(), &self.documents_root, &ctx.agent.allowed_paths);
        tools.call(&tool.grant_name(), arguments).await.map_err(|e| ToolFailure(e.to_string()))
    }

    fn recorded_arguments(&self, _tool: &ToolId, arguments: &Value) -> Value {
        sanitised_arguments(arguments)
    }
}

/// The `path` argument, if present and a string.
fn path_argument(arguments: &Value) -> Result<Option<&str>, ToolError> {
    match arguments.get("path") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.len() <= 4096 => Ok(Some(s.trim())),
        Some(_) => Err(ToolError::BadArguments("path must be a string of at most 4096 bytes")),
    }
}

/// The arguments as they may be recorded: only the path, shortened.
pub fn sanitised_arguments(arguments: &Value) -> Value {
    match arguments.get("path").and_then(Value::as_str) {
        Some(path) => json!({"path": path.chars().take(300).collect::<String>()}),
        None => json!({}),
    }
}

/// Runs the file tools for one agent, confined to its granted folders.
pub struct FileTools<'a> {
    reader: &'a dyn DocumentReader,
    /// The documents root: a grant only counts while it resolves to a place inside it.
    documents_root: &'a Path,
    grants: &'a [String],
}

impl<'a> FileTools<'a> {
    /// The tools for one agent's `grants`.
    pub fn new(reader: &'a dyn DocumentReader, documents_root: &'a Path, grants: &'a [String]) -> Self {
        Self { reader, documents_root, grants }
    }

    /// Runs a granted file tool. The caller has checked the grant of the tool itself.
    pub async fn call(&self, tool: &str, arguments: &Value) -> Result<String, ToolError> {
        match tool {
            TOOL_LS => self.list(path_argument(arguments)?).await,
            TOOL_READ => {
                let path = path_argument(arguments)?.ok_or(ToolError::BadArguments("path is required"))?;
                self.read(path).await
            }
            _ => Err(ToolError::BadArguments("unknown tool")),
        }
    }

    async fn list(&self, path: Option<&str>) -> Result<String, ToolError> {
        let Some(path) = path else {
            if self.grants.is_empty() {
                return Ok("No folders have been granted to this agent.".to_string());
            }
            return Ok(self.grants.iter().map(|g| format!("{g}/")).collect::<Vec<_>>().join("\n"));
        };
        let dir = self.confine(path).await?;
        let mut entries = match self.reader.list(&dir.root, &dir.relative).await {
            Ok(entries) => entries,
            Err(StoreError::Conflict(Rule::NotAFolder)) => return Err(ToolError::NotFolder),
            Err(e) => return Err(e.into()),
        };
        entries.retain(|e| !e.name.starts_with('.'));
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let total = entries.len();
        let mut lines: Vec<String> = entries
            .iter()
            .take(MAX_LIST_ENTRIES)
            .map(|e| if e.is_dir { format!("{}/", e.name) } else { format!("{} ({} bytes)", e.name, e.size) })
            .collect();
        if total > MAX_LIST_ENTRIES {
            lines.push(format!("… and {} more", total - MAX_LIST_ENTRIES));
        }
        if lines.is_empty() {
            return Ok("The folder is empty.".to_string());
        }
        Ok(lines.join("\n"))
    }

    async fn read(&self, path: &str) -> Result<String, ToolError> {
        let file = self.confine(path).await?;
        let (bytes, cut) = match self.reader.read(&file.root, &file.relative, MAX_READ_BYTES).await {
            Ok(read) => read,
            Err(StoreError::Conflict(Rule::IsAFolder)) => return Err(ToolError::IsFolder),
            Err(StoreError::Conflict(Rule::NotAFile)) => return Err(ToolError::NotText),
            Err(e) => return Err(e.into()),
        };
        let mut text = extract_text(&file.relative, bytes, cut)?;
        if cut {
            text.push_str(&format!(
                "\n\n[… the file is longer; only the first {} KiB are shown]",
                MAX_READ_BYTES / 1024
            ));
        }
        Ok(text)
    }

    /// The granted folder `raw` lies inside, and where inside it, if it does.
    async fn confine(&self, raw: &str) -> Result<Confined, ToolError> {
        let requested = Path::new(raw);
        // A relative path is taken relative to the only grant; with several it is ambiguous.
        let requested = if requested.is_absolute() {
            requested.to_path_buf()
        } else {
            match self.grants {
                [only] => Path::new(only).join(requested),
                _ => return Err(ToolError::BadArguments("path must be absolute")),
            }
        };
        // Refused before touching the filesystem: traversal and hidden segments.
        for component in requested.components() {
            match component {
                Component::ParentDir => return Err(ToolError::OutsideGrant),
                Component::Normal(segment) if segment.to_string_lossy().starts_with('.') => {
                    return Err(ToolError::Hidden);
                }
                _ => {}
            }
        }
        let resolved = self.reader.resolve(&requested).await?;
        // A grant that became a symlink to elsewhere after it was granted grants nothing.
        let Ok(documents) = self.reader.resolve(self.documents_root).await else {
            return Err(ToolError::OutsideGrant);
        };
        for grant in self.grants {
            let Ok(root) = self.reader.resolve(Path::new(grant)).await else { continue };
            if !root.starts_with(&documents) || root == documents {
                continue;
            }
            // Component by component on the raw bytes: `/data/hr2` is not below `/data/hr`, and a
            // name that is not UTF-8 (`hr\xff`) never passes for one that merely reads the same
            // once decoded lossily (`hr\u{FFFD}`), as a comparison of lossy strings let it.
            let Ok(below) = resolved.strip_prefix(&root) else { continue };
            // A symlink inside the grant may lead to a hidden place inside the grant too.
            if below.components().any(|c| c.as_os_str().as_encoded_bytes().starts_with(b".")) {
                return Err(ToolError::Hidden);
            }
            let relative = below.to_path_buf();
            return Ok(Confined { root, relative });
        }
        Err(ToolError::OutsideGrant)
    }
}

/// A checked place: a granted folder (canonical) and a path below it, opened beneath it.
struct Confined {
    root: PathBuf,
    relative: PathBuf,
}

/// The text of a file: plain text and Markdown (and other text formats) as they are; anything
/// that does not decode as text is refused.
fn extract_text(path: &Path, bytes: Vec<u8>, cut: bool) -> Result<String, ToolError> {
    let known_text = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TEXT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    if bytes.contains(&0) {
        return Err(ToolError::NotText);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        // A cut may split a multi-byte character at the very end; keep the valid part.
        Err(e) if cut && e.utf8_error().error_len().is_none() => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).map_err(|_| ToolError::NotText)
        }
        Err(e) if known_text => Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(_) => Err(ToolError::NotText),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_follow_the_grant() {
        assert!(specs(&[]).is_empty());
        let (read, ls) = (ToolId::new(NAMESPACE, "read"), ToolId::new(NAMESPACE, "ls"));
        let names: Vec<String> = specs(&[&read, &ls]).into_iter().map(|t| t.spec.name).collect();
        assert_eq!(names, [TOOL_LS, TOOL_READ]);
        assert_eq!(specs(&[&ToolId::new(NAMESPACE, "write")]), []);
    }

    #[test]
    fn arguments_are_sanitised_to_the_path() {
        let args = json!({"path": "/data/hr/a.md", "token": "secret"});
        assert_eq!(sanitised_arguments(&args), json!({"path": "/data/hr/a.md"}));
        assert_eq!(sanitised_arguments(&json!({"x": 1})), json!({}));
    }

    #[test]
    fn text_extraction() {
        assert_eq!(extract_text(Path::new("a.md"), b"# Hi".to_vec(), false), Ok("# Hi".into()));
        assert_eq!(extract_text(Path::new("a.bin"), vec![0x7f, 0x45, 0x00, 0x01], false), Err(ToolError::NotText));
        assert_eq!(extract_text(Path::new("a.bin"), vec![0xff, 0xfe, 0x41], false), Err(ToolError::NotText));
        // "é" is two bytes; a cut after the first keeps the text before it.
        assert_eq!(extract_text(Path::new("a.txt"), vec![b'a', 0xc3], true), Ok("a".into()));
    }
}
