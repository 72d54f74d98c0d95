//! Fuzz target: the profile loader on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match mamori_policy::parse_profile("fuzz.toml", text) {
        Ok(_) => {
            // Loading is deterministic: the same text validates again.
            assert!(mamori_policy::parse_profile("fuzz.toml", text).is_ok());
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "an error result names at least one problem");
            let lines = text.lines().count().max(1) + 1;
            for e in &errors.0 {
                assert!(e.line >= 1 && e.line <= lines, "line {} outside the text ({lines} lines)", e.line);
                assert!(e.column >= 1);
                assert!(e.to_string().starts_with("fuzz.toml:"));
            }
        }
    }
});
