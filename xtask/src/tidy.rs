//! `cargo xtask tidy`: the dependency rules of DESIGN.md §2, checked over `cargo metadata`.
//!
//! - Domain crates depend (normal and build dependencies) only on other domain crates, without
//!   cycles, and on the pure libraries in [`PURE_LIBRARIES`]; never on diesel, actix, reqwest, rmcp,
//!   tokio or any adapter. When the metadata carries a `resolve` graph, no domain crate may reach a
//!   forbidden crate transitively either.
//! - Adapters depend on domain crates and adapter libraries, never on each other and never on the
//!   server. Adapter libraries (shared infrastructure such as the guarded outbound HTTP client)
//!   depend on domain crates only, never on an adapter or the server; domain crates never on them.
//! - `pincer-testkit` is only ever a dev-dependency.
//! - Domain crates stay publishable; every other workspace crate sets `publish = false`.
//! - Every workspace crate is classified here, so a new crate cannot slip past these rules.
//! - When the metadata carries a `resolve` graph, it holds one TLS provider: ring. A crate that
//!   turns on reqwest's or rustls's default TLS (aws-lc-rs) or native TLS (OpenSSL) is refused.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde_json::Value;

/// Pure libraries a domain crate may depend on. The one place to extend the list.
pub const PURE_LIBRARIES: &[&str] = &[
    "serde",
    "serde_json",
    "thiserror",
    "uuid",
    "time",
    "ring",
    "argon2",
    "async-trait",
    "futures",
    "hex",
    "base64",
    "zeroize",
];

/// The domain crates: rules and ports, no I/O.
pub const DOMAIN: &[&str] = &[
    "pincer-core",
    "pincer-identity",
    "pincer-audit",
    "pincer-agents",
    "pincer-channels",
    "pincer-integrations",
    "pincer-usage",
    "pincer-security",
];

/// The adapters: they implement domain ports over real I/O.
pub const ADAPTERS: &[&str] = &["pincer-store", "pincer-llm", "pincer-connectors", "pincer-http", "pincer-web"];

/// Infrastructure shared by adapters: adapters may depend on them, they on no adapter.
pub const ADAPTER_LIBRARIES: &[&str] = &["pincer-outbound"];

pub const SERVER: &str = "pincer-server";
pub const TESTKIT: &str = "pincer-testkit";

/// Workspace crates that are neither domain, adapter, server nor testkit: tooling and black-box tests.
pub const TOOLING: &[&str] = &["xtask", "pincer-tests", "pincer-examples"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Domain,
    Adapter,
    AdapterLibrary,
    Server,
    Testkit,
    Tooling,
}

fn classify(name: &str) -> Option<Class> {
    if DOMAIN.contains(&name) {
        Some(Class::Domain)
    } else if ADAPTERS.contains(&name) {
        Some(Class::Adapter)
    } else if ADAPTER_LIBRARIES.contains(&name) {
        Some(Class::AdapterLibrary)
    } else if name == SERVER {
        Some(Class::Server)
    } else if name == TESTKIT {
        Some(Class::Testkit)
    } else if TOOLING.contains(&name) {
        Some(Class::Tooling)
    } else {
        None
    }
}

/// Infrastructure a domain crate must never reach, directly or transitively.
fn is_forbidden_library(name: &str) -> bool {
    name.starts_with("diesel")
        || name.starts_with("actix")
        || name == "reqwest"
        || name == "rmcp"
        || name == "tokio"
        || name.starts_with("tokio-")
}

/// A declared dependency of a workspace package.
struct Dep<'a> {
    name: &'a str,
    /// `None` for normal dependencies, else `"dev"` or `"build"`.
    kind: Option<&'a str>,
}

impl Dep<'_> {
    fn is_dev(&self) -> bool {
        self.kind == Some("dev")
    }

    fn kind_label(&self) -> &'static str {
        match self.kind {
            Some("build") => "build-dependency",
            Some("dev") => "dev-dependency",
            _ => "dependency",
        }
    }
}

struct Package<'a> {
    name: &'a str,
    id: &'a str,
    /// `publish = false` shows up in metadata as an empty list of registries.
    publish_false: bool,
    deps: Vec<Dep<'a>>,
}

fn packages(metadata: &Value) -> Vec<Package<'_>> {
    let members: Option<HashSet<&str>> = metadata
        .get("workspace_members")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).collect());
    metadata
        .get("packages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let id = p.get("id").and_then(Value::as_str).unwrap_or(name);
            if let Some(members) = &members
                && !members.contains(id)
            {
                return None;
            }
            let publish_false = p.get("publish").and_then(Value::as_array).is_some_and(Vec::is_empty);
            let deps = p
                .get("dependencies")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|d| {
                    Some(Dep { name: d.get("name")?.as_str()?, kind: d.get("kind").and_then(Value::as_str) })
                })
                .collect();
            Some(Package { name, id, publish_false, deps })
        })
        .collect()
}

/// Every breach of the dependency rules in `metadata` (the JSON of `cargo metadata
/// --format-version 1`, with or without `--no-deps`), one human-readable line each.
pub fn violations(metadata: &Value) -> Vec<String> {
    let packages = packages(metadata);
    let mut out = Vec::new();
    if packages.is_empty() {
        out.push("cargo metadata lists no workspace packages".to_string());
        return out;
    }

    for pkg in &packages {
        let Some(class) = classify(pkg.name) else {
            out.push(format!("{}: workspace crate is not classified; add it to a list in xtask/src/tidy.rs", pkg.name));
            continue;
        };
        match (class, pkg.publish_false) {
            (Class::Domain, true) => {
                out.push(format!("{}: domain crates must stay publishable (remove `publish = false`)", pkg.name));
            }
            (Class::Domain, false) => {}
            (_, false) => out.push(format!("{}: internal crates must set `publish = false`", pkg.name)),
            (_, true) => {}
        }
        for dep in &pkg.deps {
            if dep.name == TESTKIT && !dep.is_dev() {
                out.push(format!(
                    "{}: {TESTKIT} may only be a dev-dependency, found as a {}",
                    pkg.name,
                    dep.kind_label()
                ));
                continue;
            }
            if dep.is_dev() {
                continue;
            }
            match class {
                Class::Domain => check_domain_dep(pkg.name, dep, &mut out),
                Class::Adapter => check_adapter_dep(pkg.name, dep, &mut out),
                Class::AdapterLibrary => check_adapter_library_dep(pkg.name, dep, &mut out),
                Class::Server | Class::Testkit | Class::Tooling => {}
            }
        }
    }

    domain_cycles(&packages, &mut out);
    transitive_domain_reach(metadata, &packages, &mut out);
    one_tls_provider(metadata, &mut out);
    out
}

/// TLS and crypto stacks that would stand beside ring: aws-lc (reqwest's and rustls's default
/// provider) and OpenSSL (native TLS).
const OTHER_TLS_PROVIDERS: &[&str] =
    &["aws-lc-rs", "aws-lc-sys", "aws-lc-fips-sys", "openssl", "openssl-sys", "native-tls"];

/// The resolved graph (every platform's) holds no TLS provider but ring.
fn one_tls_provider(metadata: &Value, out: &mut Vec<String>) {
    if metadata.get("resolve").is_none_or(Value::is_null) {
        return;
    }
    let resolved: HashSet<&str> = metadata
        .pointer("/resolve/nodes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.get("id")?.as_str())
        .collect();
    let found: BTreeSet<&str> = metadata
        .get("packages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|p| p.get("id").and_then(Value::as_str).is_some_and(|id| resolved.contains(id)))
        .filter_map(|p| p.get("name")?.as_str())
        .filter(|name| OTHER_TLS_PROVIDERS.contains(name))
        .collect();
    for name in found {
        out.push(format!(
            "{name} is in the dependency graph: ring is the one TLS provider (`cargo tree -i {name}` shows who brings it)"
        ));
    }
}

fn check_domain_dep(pkg: &str, dep: &Dep<'_>, out: &mut Vec<String>) {
    let what = dep.kind_label();
    match classify(dep.name) {
        Some(Class::Domain) => {}
        Some(Class::Adapter) => out.push(format!("{pkg}: domain crate has a {what} on the adapter {}", dep.name)),
        Some(_) => out.push(format!("{pkg}: domain crate has a {what} on {}", dep.name)),
        None if is_forbidden_library(dep.name) => {
            out.push(format!("{pkg}: domain crate has a {what} on {} (infrastructure belongs in adapters)", dep.name));
        }
        None if PURE_LIBRARIES.contains(&dep.name) => {}
        None => out.push(format!(
            "{pkg}: domain crate has a {what} on {}, which is not on the pure-library allow-list",
            dep.name
        )),
    }
}

fn check_adapter_dep(pkg: &str, dep: &Dep<'_>, out: &mut Vec<String>) {
    match classify(dep.name) {
        Some(Class::Adapter) => {
            out.push(format!("{pkg}: adapters must not depend on each other, found a dependency on {}", dep.name));
        }
        Some(Class::Server) => out.push(format!("{pkg}: adapters must not depend on {SERVER}")),
        Some(Class::Tooling) => out.push(format!("{pkg}: adapters must not depend on {}", dep.name)),
        _ => {}
    }
}

fn check_adapter_library_dep(pkg: &str, dep: &Dep<'_>, out: &mut Vec<String>) {
    match classify(dep.name) {
        Some(Class::Domain) | None => {}
        Some(_) => out.push(format!("{pkg}: adapter libraries depend on domain crates only, found {}", dep.name)),
    }
}

/// Domain crates depend on each other without cycles (cargo only rejects cycles it must build).
fn domain_cycles(packages: &[Package<'_>], out: &mut Vec<String>) {
    let graph: BTreeMap<&str, Vec<&str>> = packages
        .iter()
        .filter(|p| classify(p.name) == Some(Class::Domain))
        .map(|p| {
            let deps = p
                .deps
                .iter()
                .filter(|d| !d.is_dev() && classify(d.name) == Some(Class::Domain))
                .map(|d| d.name)
                .collect();
            (p.name, deps)
        })
        .collect();

    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        marks: &mut HashMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
        found: &mut BTreeSet<String>,
    ) {
        match marks.get(node) {
            Some(Mark::Done) => return,
            Some(Mark::Visiting) => {
                let start = path.iter().position(|n| *n == node).unwrap_or(0);
                let mut cycle: Vec<&str> = path[start..].to_vec();
                cycle.push(node);
                found.insert(cycle.join(" -> "));
                return;
            }
            None => {}
        }
        marks.insert(node, Mark::Visiting);
        path.push(node);
        for next in graph.get(node).map(Vec::as_slice).unwrap_or_default() {
            visit(next, graph, marks, path, found);
        }
        path.pop();
        marks.insert(node, Mark::Done);
    }

    let mut marks = HashMap::new();
    let mut found = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut marks, &mut Vec::new(), &mut found);
    }
    for cycle in found {
        out.push(format!("domain crates form a dependency cycle: {cycle}"));
    }
}

/// With a resolved graph, no domain crate may reach infrastructure through a pure library or
/// another crate: walks normal dependency edges from each domain crate.
fn transitive_domain_reach(metadata: &Value, packages: &[Package<'_>], out: &mut Vec<String>) {
    let Some(nodes) = metadata.pointer("/resolve/nodes").and_then(Value::as_array) else {
        return;
    };
    let names: HashMap<&str, &str> = metadata
        .get("packages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| Some((p.get("id")?.as_str()?, p.get("name")?.as_str()?)))
        .collect();
    let edges: HashMap<&str, Vec<&str>> = nodes
        .iter()
        .filter_map(|n| {
            let id = n.get("id")?.as_str()?;
            let deps = n
                .get("deps")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|d| is_normal_edge(d))
                .filter_map(|d| d.get("pkg")?.as_str())
                .collect();
            Some((id, deps))
        })
        .collect();

    for pkg in packages.iter().filter(|p| classify(p.name) == Some(Class::Domain)) {
        // Breadth-first, remembering the parent of each node to print the path.
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut queue = VecDeque::from([pkg.id]);
        let mut seen = HashSet::from([pkg.id]);
        while let Some(id) = queue.pop_front() {
            let name = names.get(id).copied().unwrap_or(id);
            let bad =
                id != pkg.id && (is_forbidden_library(name) || matches!(classify(name), Some(c) if c != Class::Domain));
            // Direct dependencies were judged above; report only what arrives through another crate.
            if bad && parent.get(id) == Some(&pkg.id) {
                continue;
            }
            if bad {
                let mut path = vec![name];
                let mut at = id;
                while let Some(p) = parent.get(at) {
                    path.push(names.get(p).copied().unwrap_or(p));
                    at = p;
                }
                path.reverse();
                out.push(format!("{}: domain crate reaches {name} transitively ({})", pkg.name, path.join(" -> ")));
                continue;
            }
            for next in edges.get(id).map(Vec::as_slice).unwrap_or_default() {
                if seen.insert(next) {
                    parent.insert(next, id);
                    queue.push_back(next);
                }
            }
        }
    }
}

/// A resolve edge that is a normal (not dev, not build) dependency on some platform.
fn is_normal_edge(dep: &Value) -> bool {
    match dep.get("dep_kinds").and_then(Value::as_array) {
        Some(kinds) => kinds.iter().any(|k| k.get("kind").is_none_or(Value::is_null)),
        // Very old cargo versions had no dep_kinds: assume normal.
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A synthetic workspace package: deps are `(name, kind)` with kind `None`, `"dev"` or `"build"`.
    fn pkg(name: &str, publish_false: bool, deps: &[(&str, Option<&str>)]) -> Value {
        json!({
            "name": name,
            "id": format!("path+file:///ws/{name}#{name}@0.1.0"),
            "publish": if publish_false { json!([]) } else { Value::Null },
            "dependencies": deps.iter().map(|(d, kind)| json!({"name": d, "kind": kind})).collect::<Vec<_>>(),
        })
    }

    fn metadata(packages: Vec<Value>) -> Value {
        let members: Vec<Value> = packages.iter().map(|p| p["id"].clone()).collect();
        json!({"packages": packages, "workspace_members": members})
    }

    /// A clean graph shaped like the real one.
    fn clean_packages() -> Vec<Value> {
        vec![
            pkg("pincer-core", false, &[("serde", None), ("thiserror", None), ("uuid", None)]),
            pkg("pincer-audit", false, &[("pincer-core", None), ("ring", None), ("hex", None)]),
            pkg(
                "pincer-identity",
                false,
                &[("pincer-core", None), ("pincer-audit", None), ("argon2", None), ("tokio", Some("dev"))],
            ),
            pkg(
                "pincer-store",
                true,
                &[("pincer-core", None), ("pincer-identity", None), ("diesel", None), ("pincer-testkit", Some("dev"))],
            ),
            pkg("pincer-http", true, &[("pincer-identity", None), ("actix-web", None)]),
            pkg("pincer-server", true, &[("pincer-store", None), ("pincer-http", None), ("tokio", None)]),
            pkg("pincer-testkit", true, &[("diesel", None), ("reqwest", None)]),
            pkg("pincer-tests", true, &[("pincer-testkit", Some("dev"))]),
            pkg("xtask", true, &[("pincer-store", None), ("serde_json", None)]),
        ]
    }

    fn with(mut packages: Vec<Value>, replacement: Value) -> Value {
        let name = replacement["name"].clone();
        packages.retain(|p| p["name"] != name);
        packages.push(replacement);
        metadata(packages)
    }

    #[test]
    fn clean_graph_has_no_violations() {
        assert_eq!(violations(&metadata(clean_packages())), Vec::<String>::new());
    }

    #[test]
    fn domain_crate_on_an_adapter_is_a_violation() {
        let meta = with(clean_packages(), pkg("pincer-identity", false, &[("pincer-store", None)]));
        let v = violations(&meta);
        assert!(v.iter().any(|l| l.contains("pincer-identity") && l.contains("adapter pincer-store")), "{v:?}");
    }

    #[test]
    fn adapter_libraries_sit_between_domain_and_adapters() {
        let library = pkg("pincer-outbound", true, &[("pincer-integrations", None), ("reqwest", None)]);
        let llm = pkg("pincer-llm", true, &[("pincer-outbound", None), ("pincer-core", None)]);
        let mut packages = clean_packages();
        packages.extend([library, llm]);
        let fine = metadata(packages);
        assert!(violations(&fine).is_empty(), "{:?}", violations(&fine));

        let on_adapter = pkg("pincer-outbound", true, &[("pincer-store", None)]);
        let v = violations(&with(clean_packages(), on_adapter));
        assert!(v.iter().any(|l| l.contains("pincer-outbound") && l.contains("pincer-store")), "{v:?}");

        let domain_on_library = pkg("pincer-identity", false, &[("pincer-core", None), ("pincer-outbound", None)]);
        let v = violations(&with(clean_packages(), domain_on_library));
        assert!(v.iter().any(|l| l.contains("pincer-identity") && l.contains("pincer-outbound")), "{v:?}");
    }

    #[test]
    fn domain_crate_on_diesel_is_a_violation() {
        let meta = with(clean_packages(), pkg("pincer-core", false, &[("diesel", None)]));
        let v = violations(&meta);
        assert!(v.iter().any(|l| l.contains("pincer-core") && l.contains("diesel")), "{v:?}");
    }

    #[test]
    fn domain_crate_on_tokio_or_actix_is_a_violation_even_as_build_dependency() {
        let meta = with(clean_packages(), pkg("pincer-audit", false, &[("tokio", None), ("actix-web", Some("build"))]));
        let v = violations(&meta);
        assert!(v.iter().any(|l| l.contains("tokio")), "{v:?}");
        assert!(v.iter().any(|l| l.contains("actix-web") && l.contains("build-dependency")), "{v:?}");
    }

    #[test]
    fn domain_crate_on_an_unlisted_library_is_a_violation() {
        let meta = with(clean_packages(), pkg("pincer-core", false, &[("regex", None)]));
        let v = violations(&meta);
        assert!(v.iter().any(|l| l.contains("regex") && l.contains("allow-list")), "{v:?}");
    }

    #[test]
    fn domain_dev_dependencies_are_free() {
        let meta = with(clean_packages(), pkg("pincer-core", false, &[("tokio", Some("dev")), ("regex", Some("dev"))]));
        assert_eq!(violations(&meta), Vec::<String>::new());
    }

    #[test]
    fn adapter_on_another_adapter_is_a_violation() {
        let meta =
            with(clean_packages(), pkg("pincer-http", true, &[("pincer-identity", None), ("pincer-store", None)]));
        let v = violations(&meta);
        assert!(v.iter().any(|l| l.contains("pincer-http") && l.contains("pincer-store")), "{v:?}");
    }

    #[test]
    fn adapter_on_the_server_is_a_violation() {
        let meta = with(clean_packages(), pkg("pincer-store", true, &[("pincer-server", None)]));
        let v = violations(&meta);
        assert!(v.iter().any(|l| l.contains("pincer-store") && l.contains("pincer-server")), "{v:?}");
    }

    #[test]
    fn testkit_as_a_normal_dependency_is_a_violation() {
        let meta = with(clean_packages(), pkg("pincer-server", true, &[("pincer-testkit", None)]));
        let v = violations(&meta);
        assert!(v.iter().any(|l| l.contains("pincer-server") && l.contains("dev-dependency")), "{v:?}");
    }

    #[test]
    fn domain_cycles_are_violations() {
        let mut packages = clean_packages();
        packages.retain(|p| p["name"] != "pincer-core");
        packages.push(pkg("pincer-core", false, &[("pincer-identity", None)]));
        let v = violations(&metadata(packages));
        assert!(v.iter().any(|l| l.contains("cycle")), "{v:?}");
    }

    #[test]
    fn publish_rules() {
        let meta = with(clean_packages(), pkg("pincer-core", true, &[]));
        assert!(violations(&meta).iter().any(|l| l.contains("pincer-core") && l.contains("publishable")));
        let meta = with(clean_packages(), pkg("pincer-http", false, &[]));
        assert!(violations(&meta).iter().any(|l| l.contains("pincer-http") && l.contains("publish = false")));
    }

    #[test]
    fn unclassified_crates_are_violations() {
        let mut packages = clean_packages();
        packages.push(pkg("pincer-mystery", true, &[]));
        let v = violations(&metadata(packages));
        assert!(v.iter().any(|l| l.contains("pincer-mystery") && l.contains("not classified")), "{v:?}");
    }

    #[test]
    fn non_members_are_ignored() {
        let mut meta = metadata(clean_packages());
        // A registry package with "bad" dependencies is not ours to judge.
        if let Some(list) = meta["packages"].as_array_mut() {
            list.push(json!({"name": "hyper", "id": "registry#hyper@1", "publish": null,
                "dependencies": [{"name": "tokio", "kind": null}]}));
        }
        assert_eq!(violations(&meta), Vec::<String>::new());
    }

    #[test]
    fn transitive_reach_through_a_pure_library_is_a_violation() {
        let mut meta = metadata(clean_packages());
        let core = "path+file:///ws/pincer-core#pincer-core@0.1.0";
        meta["resolve"] = json!({"nodes": [
            {"id": core, "deps": [{"pkg": "registry#futures@0.3", "dep_kinds": [{"kind": null}]},
                                   {"pkg": "registry#cc@1", "dep_kinds": [{"kind": "build"}]}]},
            {"id": "registry#futures@0.3", "deps": [{"pkg": "registry#tokio@1", "dep_kinds": [{"kind": null}]}]},
            {"id": "registry#cc@1", "deps": [{"pkg": "registry#tokio@1", "dep_kinds": [{"kind": null}]}]},
            {"id": "registry#tokio@1", "deps": []},
        ]});
        if let Some(list) = meta["packages"].as_array_mut() {
            list.push(json!({"name": "futures", "id": "registry#futures@0.3", "dependencies": []}));
            list.push(json!({"name": "cc", "id": "registry#cc@1", "dependencies": []}));
            list.push(json!({"name": "tokio", "id": "registry#tokio@1", "dependencies": []}));
        }
        let v = violations(&meta);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("pincer-core -> futures -> tokio"), "{v:?}");
    }

    #[test]
    fn a_second_tls_provider_in_the_graph_is_a_violation() {
        let mut meta = metadata(clean_packages());
        meta["resolve"] = json!({"nodes": [
            {"id": "registry#ring@0.17", "deps": []},
            {"id": "registry#aws-lc-rs@1", "deps": []},
        ]});
        if let Some(list) = meta["packages"].as_array_mut() {
            list.push(json!({"name": "ring", "id": "registry#ring@0.17", "dependencies": []}));
            list.push(json!({"name": "aws-lc-rs", "id": "registry#aws-lc-rs@1", "dependencies": []}));
            // Listed but not resolved (an optional dependency nobody turned on): not a breach.
            list.push(json!({"name": "openssl", "id": "registry#openssl@0.10", "dependencies": []}));
        }
        let v = violations(&meta);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].starts_with("aws-lc-rs is in the dependency graph"), "{v:?}");
    }

    /// The real workspace obeys the rules (full metadata, so transitive reach is checked too).
    #[test]
    fn real_workspace_has_no_violations() {
        let meta = match crate::cargo::metadata(false) {
            Ok(meta) => meta,
            Err(e) => panic!("cargo metadata failed: {e}"),
        };
        assert_eq!(violations(&meta), Vec::<String>::new());
    }
}
