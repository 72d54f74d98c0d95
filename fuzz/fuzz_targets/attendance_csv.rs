//! parse_attendance_csv on arbitrary bytes: it must never panic; an accepted list holds
//! unique, non-empty, trimmed staff numbers with increasing line numbers; a rejection says why.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_csv::{parse_attendance_csv, MAX_ATTENDANCE_ROWS};

fuzz_target!(|data: &[u8]| {
    match parse_attendance_csv(data) {
        Ok(rows) => {
            assert!(!rows.is_empty() && rows.len() <= MAX_ATTENDANCE_ROWS);
            let mut seen = std::collections::HashSet::new();
            let mut last = 0;
            for r in &rows {
                assert!(!r.staff_no.is_empty() && r.staff_no.trim() == r.staff_no, "{r:?}");
                assert!(seen.insert(r.staff_no.clone()), "duplicate {r:?}");
                assert!(r.line > last, "lines out of order: {rows:?}");
                last = r.line;
            }
        }
        Err(problems) => assert!(!problems.is_empty() && problems.iter().all(|p| !p.is_empty())),
    }
});
