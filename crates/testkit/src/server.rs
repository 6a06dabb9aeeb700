//! The real binary under test.
