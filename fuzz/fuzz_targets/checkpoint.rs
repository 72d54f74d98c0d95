//! Fuzz target: opening a signed checkpoint from arbitrary text never panics, and whatever
//! opens re-signs to the same text (there is one text per checkpoint).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mamori_ledger::checkpoint::open;
use mamori_ledger::LedgerKey;

fn key() -> &'static LedgerKey {
    static KEY: OnceLock<LedgerKey> = OnceLock::new();
    KEY.get_or_init(|| LedgerKey::generate("mamori-fuzz").expect("a valid name"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let key = key();
    // Arbitrary text: only errors, no panics.
    let _ = open(text, key.verifying_key(), None);
    // Text that is a signed checkpoint with a fuzzed origin and size.
    let (origin, rest) = text.split_once('\n').unwrap_or((text, ""));
    let size = rest.len() as u64;
    if origin.is_empty() || origin.chars().any(char::is_control) {
        return;
    }
    let signed = key.sign(origin, size, mamori_ledger::leaf_hash(rest.as_bytes()));
    let opened = open(&signed.text, key.verifying_key(), Some(origin)).expect("a checkpoint mamori signed opens");
    assert_eq!(opened.size, size);
    assert_eq!(opened.text, signed.text);
});
