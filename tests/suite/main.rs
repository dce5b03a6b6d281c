//! The integration tests: one crate, so the shared harness in `common`
//! compiles once. Each module is one area; run one with a filter, such as
//! `cargo test --test suite docs::`.

mod common;

mod architecture;
mod bad_input;
mod binary;
mod deployments;
mod detection;
mod docs;
mod faults;
mod first_run;
mod frameworks;
mod image;
mod limits;
mod live;
mod live_site;
mod output;
mod properties;
mod push;
mod security;
