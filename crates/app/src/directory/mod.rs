//! The directories Portico writes through to (issue 13): targets, their
//! connection test, and the operations that keep them in step.
pub mod client;
pub mod reconcile;
pub mod sync;
pub mod targets;
