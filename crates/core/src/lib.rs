//! Portico's types and rules. No IO, no async, no SQL: every rule here is
//! unit-testable in microseconds, and every other layer trusts what it builds.
#![forbid(unsafe_code)]

pub mod access;
pub mod account;
pub mod announcement;
pub mod audit;
pub mod booking;
pub mod certification;
pub mod clients;
pub mod content;
pub mod directory;
pub mod document;
pub mod download;
pub mod error;
pub mod files;
pub mod home;
pub mod ical;
pub mod ids;
pub mod inspection;
pub mod mailbox;
pub mod msg;
pub mod national_id;
pub mod office;
pub mod org;
pub mod outbox;
pub mod password;
pub mod permission;
pub mod repair;
pub mod request;
pub mod richtext;
pub mod settings;
pub mod sso;
pub mod text;
pub mod time;
pub mod usage;
pub mod verify;
pub mod zone;

pub use error::{Error, FieldError, Result};
pub use msg::{Lang, Msg};
