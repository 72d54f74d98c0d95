//! Fuzz target: verifying an arbitrary offline bundle never panics; a bundle that is not
//! a well-formed, fully signed ledger never verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match mamori_ledger::bundle::verify(data, None, &[]) {
        Ok((_, report)) => {
            if report.ok() {
                // Only a bundle whose checkpoints verify under its own key can pass, and
                // an empty log has nothing that could be wrong.
                assert!(report.entries == 0 || report.latest.is_some() || report.checkpoints == 0);
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
