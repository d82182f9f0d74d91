//! The `portico` subcommands, one module each; `main.rs` only parses the
//! command line and dispatches.
pub mod admin;
pub mod config;
pub mod demo;
pub mod serve;
pub mod sims;
