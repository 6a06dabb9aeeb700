//! Fresh test databases.
