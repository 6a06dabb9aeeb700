//! Programs a Rust developer copies to embed Pincer's domain crates in a service of their own;
//! see `examples/`. This library is empty on purpose.
