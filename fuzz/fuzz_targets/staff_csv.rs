//! parse_staff_csv on arbitrary bytes: it must never panic, an accepted file must hold only
//! complete rows without formula-like cells, and exporting them must re-import unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_csv::{parse_staff_csv, write_staff_csv, StaffRow, MAX_ROWS};

fn cells(r: &StaffRow) -> [&str; 9] {
    [&r.staff_no, &r.name, &r.kana, &r.email, &r.department_code, &r.department_name, &r.parent_department_code, &r.post, &r.employment]
}

fuzz_target!(|data: &[u8]| {
    match parse_staff_csv(data) {
        Ok(rows) => {
            assert!(!rows.is_empty() && rows.len() <= MAX_ROWS);
            for r in &rows {
                assert!(!r.staff_no.is_empty(), "empty staff_no in {r:?}");
                assert!(!r.name.is_empty(), "empty name in {r:?}");
                assert!(!r.department_code.is_empty() && !r.department_name.is_empty(), "{r:?}");
                assert!(["regular", "fiscal_year", "contractor"].contains(&r.employment.as_str()), "{r:?}");
                for c in cells(r) {
                    assert_eq!(c.trim(), c, "untrimmed cell in {r:?}");
                    assert!(!c.starts_with(['=', '+', '-', '@']), "formula-like cell in {r:?}");
                }
            }
            let again = parse_staff_csv(&write_staff_csv(&rows)).expect("export of accepted rows must re-import");
            assert_eq!(again.len(), rows.len());
            for (a, b) in again.iter().zip(&rows) {
                assert_eq!(cells(a), cells(b));
            }
        }
        Err(rejection) => {
            assert!(!rejection.problems.is_empty());
            for p in &rejection.problems {
                assert!(!p.message_ja().is_empty());
            }
        }
    }
});
