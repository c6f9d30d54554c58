//! The modules of each crate (`src/`, and `crates/*/src/`) import one another in one direction only: counting every `crate::<module>`
//! path between top-level modules (in code, strings, doc comments and comments alike), no module
//! reaches back to one that reaches it. `docs/architecture.md` draws the layers this keeps.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found
}

/// The top-level module a file of `src/` belongs to (`None` for the crate roots).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// The modules a text names after `crate::` (or `$crate::`), each leaf of a `crate::{a, b::c}`
/// group counted.
fn named_modules(text: &str) -> Vec<String> {
    let mut named = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let before = &rest[..at];
        rest = &rest[at + "crate::".len()..];
        if before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    named.push(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                named.push(name);
            }
        }
    }
    named
}

/// Module → the modules it names, from every file of `src/`.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = files(src).iter().filter_map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for file in files(src) {
        let Some(from) = module_of(src, &file) else { continue };
        let text = std::fs::read_to_string(&file).expect("a readable file");
        for to in named_modules(&text) {
            if to != from && modules.contains(&to) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

/// The strongly connected components of more than one module (Tarjan's algorithm).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        edges: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, node: &'g str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in &self.edges[node] {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found.sort();
    walk.found
}

#[test]
fn a_path_names_a_group_and_skips_words_that_end_in_crate() {
    assert_eq!(
        named_modules("use crate::{db::Db, error::ApiError}; $crate::ids::X; mycrate::no; crate::clock::now()"),
        ["db", "error", "ids", "clock"]
    );
}

#[test]
fn a_circle_of_two_modules_is_found() {
    let edges: BTreeMap<String, BTreeSet<String>> = [("a", vec!["b"]), ("b", vec!["a", "c"]), ("c", vec![])]
        .into_iter()
        .map(|(m, to)| (m.to_owned(), to.into_iter().map(str::to_owned).collect()))
        .collect();
    assert_eq!(circles(&edges), [["a", "b"]]);
}

/// The source folders of the service and of each member crate.
fn crate_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![root.join("src")];
    for member in std::fs::read_dir(root.join("crates"))
        .expect("the crates folder")
        .flatten()
    {
        sources.push(member.path().join("src"));
    }
    sources
}

#[test]
fn no_module_of_any_crate_reaches_back_to_one_that_reaches_it() {
    let sources = crate_sources();
    assert!(sources.len() > 1, "no member crate found beside src/");
    for src in sources {
        let edges = graph(&src);
        assert!(
            edges.len() > 5,
            "only {} modules found under {}",
            edges.len(),
            src.display()
        );
        let found = circles(&edges);
        let shown: Vec<String> = found.iter().map(|c| c.join(" ")).collect();
        assert!(
            found.is_empty(),
            "import circles between top-level modules of {}:\n  {}\n\
             Break one by moving what both sides need down a layer, or by raising an `actor::Event` in\n\
             the lower module's after_change for `effects::react` to hand up (docs/architecture.md).",
            src.display(),
            shown.join("\n  ")
        );
    }
}
