//! Embeds what the binary carries: the migrations (through diesel's `embed_migrations!`, which
//! needs a rebuild when a migration folder appears) and the seed files under `seeds/`, so that a
//! fresh install seeds itself with no files beside the binary.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=seeds");
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut files = Vec::new();
    collect(&Path::new(&root).join("seeds"), "", &mut files);
    files.sort();
    let mut out = String::from(
        "/// The seed files under `seeds/`, by path relative to it, as compiled in.\npub const FILES: &[(&str, &str)] = &[\n",
    );
    for (relative, absolute) in &files {
        println!("cargo:rerun-if-changed={absolute}");
        writeln!(out, "    ({relative:?}, include_str!({absolute:?})),").expect("writing to a String");
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("seed_files.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}

/// Every `.toml` file below `dir`, as (path relative to `seeds/`, absolute path).
fn collect(dir: &Path, prefix: &str, files: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, &format!("{relative}/"), files);
        } else if name.ends_with(".toml") {
            files.push((relative, path.display().to_string()));
        }
    }
}
