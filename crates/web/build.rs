//! Release builds embed `app/` (rust-embed includes each file it finds at compile time): a file
//! added or removed there must recompile this crate, which editing an existing file does anyway.
fn main() {
    println!("cargo:rerun-if-changed=app");
}
