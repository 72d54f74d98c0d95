//! PostgreSQL's binary `COPY` format, read: the whole-ledger read on PostgreSQL
//! (`ledger/pg_read.rs`) takes its rows in this form, the server's cheapest.
//!
//! The format (PostgreSQL documentation, "COPY", "Binary Format"): an 11-byte signature,
//! a 32-bit flags field, a 32-bit header-extension length and that many bytes; then tuples,
//! each a 16-bit field count and, per field, a 32-bit length (-1 for NULL) and that many
//! bytes of the column type's binary form; then a field count of -1. All integers are
//! big-endian. Nothing here trusts the bytes: every length is checked against what is
//! left, and anything the format does not allow is an error.

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// What is wrong with a binary COPY text, and at which byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyError {
    pub offset: usize,
    pub what: &'static str,
}

impl std::fmt::Display for CopyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "binary COPY data, byte {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for CopyError {}

/// Reads the tuples of one binary COPY text in order.
pub struct Tuples<'a> {
    buf: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Tuples<'a> {
    /// Checks the header: the signature, no flag this reader does not know (bit 16, OIDs
    /// included, is one it refuses), and an extension area that fits.
    pub fn new(buf: &'a [u8]) -> Result<Self, CopyError> {
        let mut t = Self { buf, pos: 0, done: false };
        if t.take(SIGNATURE.len())? != SIGNATURE {
            return Err(t.error_at(0, "not the binary COPY signature"));
        }
        let flags = t.u32()?;
        if flags != 0 {
            return Err(t.error_at(11, "unknown or unsupported header flags"));
        }
        let extension = t.u32()? as usize;
        t.take(extension)?;
        Ok(t)
    }

    /// The next tuple's `N` fields (`None` for NULL), or `None` after the trailer, which
    /// must end the text. A tuple of another field count is an error.
    pub fn next_tuple<const N: usize>(&mut self) -> Result<Option<[Option<&'a [u8]>; N]>, CopyError> {
        if self.done {
            return Ok(None);
        }
        let at = self.pos;
        let count = self.u16()? as i16;
        if count == -1 {
            if self.pos != self.buf.len() {
                return Err(self.error_at(self.pos, "data after the trailer"));
            }
            self.done = true;
            return Ok(None);
        }
        if usize::try_from(count).ok() != Some(N) {
            return Err(self.error_at(at, "unexpected field count"));
        }
        let mut fields = [None; N];
        for field in &mut fields {
            let at = self.pos;
            let len = self.u32()? as i32;
            *field = match len {
                -1 => None,
                n if n >= 0 => Some(self.take(n as usize)?),
                _ => return Err(self.error_at(at, "negative field length")),
            };
        }
        Ok(Some(fields))
    }

    fn error_at(&self, offset: usize, what: &'static str) -> CopyError {
        CopyError { offset, what }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CopyError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.buf.len()).ok_or(CopyError { offset: self.pos, what: "truncated" })?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn u16(&mut self) -> Result<u16, CopyError> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().expect("2 bytes")))
    }

    fn u32(&mut self) -> Result<u32, CopyError> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
}

/// A `bigint` field's value: exactly 8 bytes, big-endian.
pub fn int8(field: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(field.try_into().ok()?))
}

/// Encodes tuples in the binary COPY format, as the server sends them: for tests and fuzz
/// seeds.
pub fn encode(tuples: &[Vec<Option<Vec<u8>>>]) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    for tuple in tuples {
        out.extend_from_slice(&(tuple.len() as u16).to_be_bytes());
        for field in tuple {
            match field {
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(bytes) => {
                    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
                    out.extend_from_slice(bytes);
                }
            }
        }
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all<const N: usize>(buf: &[u8]) -> Result<Vec<[Option<&[u8]>; N]>, CopyError> {
        let mut t = Tuples::new(buf)?;
        let mut out = Vec::new();
        while let Some(tuple) = t.next_tuple::<N>()? {
            out.push(tuple);
        }
        Ok(out)
    }

    #[test]
    fn encoded_tuples_read_back() {
        let tuples = vec![
            vec![Some(7i64.to_be_bytes().to_vec()), Some("総務課".as_bytes().to_vec()), None],
            vec![Some((-1i64).to_be_bytes().to_vec()), Some(Vec::new()), Some(vec![0, 255])],
        ];
        let buf = encode(&tuples);
        let read = all::<3>(&buf).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(int8(read[0][0].unwrap()), Some(7));
        assert_eq!(read[0][1], Some("総務課".as_bytes()));
        assert_eq!(read[0][2], None);
        assert_eq!(int8(read[1][0].unwrap()), Some(-1));
        assert_eq!(read[1][1], Some(&b""[..]));
        assert_eq!(read[1][2], Some(&[0u8, 255][..]));
        assert_eq!(all::<3>(&encode(&[])).unwrap().len(), 0);
    }

    #[test]
    fn malformed_texts_are_refused_with_where() {
        let good = encode(&[vec![Some(b"ab".to_vec())]]);
        // Every truncation is an error, never a short read.
        for end in 0..good.len() {
            assert!(all::<1>(&good[..end]).is_err(), "truncated at {end}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(all::<1>(&trailing).unwrap_err().what, "data after the trailer");
        let mut sig = good.clone();
        sig[0] = b'X';
        assert_eq!(all::<1>(&sig).unwrap_err().offset, 0);
        let mut oids = good.clone();
        oids[13] = 1; // bit 16: OIDs included
        assert_eq!(all::<1>(&oids).unwrap_err().what, "unknown or unsupported header flags");
        assert_eq!(all::<2>(&good).unwrap_err().what, "unexpected field count");
        let mut negative = good.clone();
        negative[21..25].copy_from_slice(&(-2i32).to_be_bytes());
        assert_eq!(all::<1>(&negative).unwrap_err().what, "negative field length");
        let mut long = good.clone();
        long[21..25].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(all::<1>(&long).is_err());
        assert_eq!(int8(&[0; 7]), None);
        assert_eq!(int8(&[0; 9]), None);
    }

    /// Deterministic pseudo-random bytes, and mutations of a valid text: never a panic, and
    /// whatever reads as tuples lies inside the input.
    #[test]
    fn pseudo_random_inputs_never_panic() {
        let base = encode(&[vec![Some(1i64.to_be_bytes().to_vec()), Some(b"x".to_vec())], vec![None, Some(vec![1, 2, 3])]]);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut buf = base.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % buf.len();
                buf[i] = next() as u8;
            }
            if next() % 3 == 0 {
                buf.truncate((next() as usize) % (buf.len() + 1));
            }
            if let Ok(mut t) = Tuples::new(&buf) {
                while let Ok(Some(tuple)) = t.next_tuple::<2>() {
                    for field in tuple.into_iter().flatten() {
                        assert!(field.len() <= buf.len());
                    }
                }
            }
        }
    }
}
