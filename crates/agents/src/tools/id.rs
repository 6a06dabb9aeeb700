//! What a grant names: a provider's namespace and one of its tools (`files:ls`, `memory:save`,
//! `mcp:<server>/<tool>`, `odoo:<connection>/<operation>`). The names the API reference uses for
//! the built-in tools (`pinchy_ls`, `pinchy_read`, `pinchy_memory`) are accepted for them and are
//! how those grants are stored and shown, so the API answers as the reference does.

use std::fmt;

/// The reference's names of the built-in tools, and the namespaced tool each one is.
const REFERENCE_NAMES: [(&str, &str, &str); 3] =
    [("pinchy_ls", "files", "ls"), ("pinchy_read", "files", "read"), ("pinchy_memory", "memory", "save")];

const MAX_NAMESPACE_CHARS: usize = 32;
const MAX_TOOL_NAME_CHARS: usize = 128;

/// A tool an agent may be granted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ToolId {
    namespace: String,
    name: String,
}

impl ToolId {
    /// A tool of a provider. Both parts are checked by [`ToolId::parse`] rules; this constructor
    /// is for providers naming their own tools.
    pub fn new(namespace: &str, name: &str) -> ToolId {
        ToolId { namespace: namespace.to_string(), name: name.to_string() }
    }

    /// A grant as an admin (or a stored agent) writes it: a reference name, or
    /// `namespace:name` with a lower-case namespace and a name of letters, digits and `_-./`.
    pub fn parse(raw: &str) -> Result<ToolId, String> {
        let raw = raw.trim();
        if let Some((_, namespace, name)) = REFERENCE_NAMES.iter().find(|(legacy, ..)| *legacy == raw) {
            return Ok(ToolId::new(namespace, name));
        }
        let Some((namespace, name)) = raw.split_once(':') else {
            return Err(format!("unknown tool {:?}; tools are named namespace:tool", shown(raw)));
        };
        let namespace_ok = !namespace.is_empty()
            && namespace.len() <= MAX_NAMESPACE_CHARS
            && namespace.starts_with(|c: char| c.is_ascii_lowercase())
            && namespace.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let name_ok = !name.is_empty()
            && name.len() <= MAX_TOOL_NAME_CHARS
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
            && !name.split('/').any(|part| part.is_empty() || part == "." || part == "..");
        if namespace_ok && name_ok {
            Ok(ToolId::new(namespace, name))
        } else {
            Err(format!("unknown tool {:?}; tools are named namespace:tool", shown(raw)))
        }
    }

    /// The provider's namespace (`files`).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The tool within it (`read`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How the grant is stored and shown: the reference's name for a built-in tool, else
    /// `namespace:name`.
    pub fn grant_name(&self) -> String {
        match REFERENCE_NAMES.iter().find(|(_, ns, name)| *ns == self.namespace && *name == self.name) {
            Some((legacy, ..)) => (*legacy).to_string(),
            None => self.to_string(),
        }
    }
}

impl fmt::Display for ToolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.namespace, self.name)
    }
}

/// A bounded, printable excerpt of what a client sent, for an error message.
fn shown(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_control()).take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_names_and_namespaced_names_are_the_same_grant() {
        let ls = ToolId::parse("pinchy_ls").unwrap();
        assert_eq!(ls, ToolId::parse("files:ls").unwrap());
        assert_eq!(ls.grant_name(), "pinchy_ls");
        assert_eq!(ls.to_string(), "files:ls");
        assert_eq!(ToolId::parse(" pinchy_memory ").unwrap(), ToolId::new("memory", "save"));
        let mcp = ToolId::parse("mcp:github/create_issue").unwrap();
        assert_eq!((mcp.namespace(), mcp.name()), ("mcp", "github/create_issue"));
        assert_eq!(mcp.grant_name(), "mcp:github/create_issue");
    }

    #[test]
    fn malformed_grants_are_refused() {
        for bad in ["ls", "", ":ls", "files:", "Files:ls", "files:a b", "mcp:a//b", "mcp:../x", "x:a\u{0}"] {
            assert!(ToolId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ToolId::parse(&format!("files:{}", "a".repeat(129))).is_err());
    }
}
