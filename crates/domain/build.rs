//! The migrations are embedded at compile time (`db::dialect`, through diesel's
//! `embed_migrations!`), which needs a rebuild when a migration folder appears.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
