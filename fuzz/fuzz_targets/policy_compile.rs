//! Fuzz target: compiling arbitrary text as a policy document never panics (watch for byte
//! offsets taken from one string and used on another, or cutting inside a multi-byte
//! character), the draft profile always loads with the real loader, and no line is claimed by
//! two items.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let c = mamori_compiler::compile("fuzz.txt", text);
    let _ = c.report_markdown();
    let _ = c.checklist();
    if let Err(e) = c.draft_profile() {
        panic!("the draft does not load: {e}\n{}", c.draft_toml());
    }
    for (i, uses) in c.line_uses().iter().enumerate() {
        assert!(uses.len() <= 1, "line {} claimed twice: {uses:?}", i + 1);
    }
    for u in &c.unrecognized {
        assert!(u.line >= 1 && u.line <= c.line_count);
    }
});
