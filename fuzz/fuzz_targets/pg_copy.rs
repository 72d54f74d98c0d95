//! Fuzz target: PostgreSQL's binary COPY format as the whole-ledger read on PostgreSQL takes
//! it (`mamori_store::pg_copy`). Reading arbitrary bytes never panics; a text read to its
//! end without error and with no header extension encodes back to exactly its bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_store::pg_copy::{encode, Tuples};

fn read_all<const N: usize>(data: &[u8]) -> Option<Vec<Vec<Option<Vec<u8>>>>> {
    let mut tuples = Tuples::new(data).ok()?;
    let mut out = Vec::new();
    loop {
        match tuples.next_tuple::<N>() {
            Ok(Some(t)) => out.push(t.iter().map(|f| f.map(<[u8]>::to_vec)).collect()),
            Ok(None) => return Some(out),
            Err(e) => {
                assert!(e.offset <= data.len());
                return None;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let plain_header = data.get(15..19) == Some(&[0, 0, 0, 0][..]);
    if let Some(tuples) = read_all::<13>(data) {
        if plain_header {
            assert_eq!(encode(&tuples), data);
        }
    }
    if let Some(tuples) = read_all::<2>(data) {
        if plain_header {
            assert_eq!(encode(&tuples), data);
        }
    }
});
