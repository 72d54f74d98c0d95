//! Integration tests of the `mamori` binary: the command line (`cli`) and a browser
//! acceptance test that drives the real server through headless Chromium (`browser`).
//!
//! Both run the binary cargo built for this test (`CARGO_BIN_EXE_mamori`) against a fresh
//! data directory. The browser test needs Debian's `chromium` and `chromium-driver`; it
//! fails (never skips) when they are missing.

mod browser;
mod citations;
mod cli;
mod ledger;
mod support;
mod users;
