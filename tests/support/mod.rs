//! Shared helpers for whole-process integration tests (`mod support;` in a test file).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod fake_telegram;
