//! Rebuilds the crate when a migration is added or edited: `embed_migrations!` reads the folders at
//! compile time, and cargo does not otherwise notice new files there.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
