//! The Merkle tree: the right edge for appending, and proofs over stored hashes.
//!
//! Stored hashes use `tlog_tiles`' index: `stored_hash_index(level, n)` is where the hash of
//! the `n`-th node at `level` lives, and appending leaf `n` writes `1 + trailing_ones(n)`
//! hashes at consecutive indexes starting at `stored_hash_index(0, n)`.
//!
//! The proof functions of `tlog_tiles` ask their hash reader exactly once. The store reads
//! asynchronously, so proofs are made in two steps: [`hashes_needed`] learns which indexes a
//! proof reads, the caller fetches them, and the proof is built from what was fetched.

use std::cell::RefCell;
use std::collections::HashMap;

use tlog_tiles::{stored_hash_index, HashReader};

use crate::{node_hash, Hash, EMPTY_HASH};

/// The right edge of a tree: the roots of its complete subtrees, largest first, one for each
/// set bit of the size. Enough to append leaves and to compute the root.
#[derive(Debug, Clone, PartialEq)]
pub struct Frontier {
    size: u64,
    /// `(level, hash)`, levels strictly decreasing.
    nodes: Vec<(u8, Hash)>,
}

impl Default for Frontier {
    fn default() -> Self {
        Self::new()
    }
}

impl Frontier {
    pub fn new() -> Self {
        Self { size: 0, nodes: Vec::new() }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The stored-hash indexes that hold the frontier of a tree of `size` leaves, in the order
    /// [`Frontier::from_hashes`] takes them.
    pub fn indexes(size: u64) -> Vec<u64> {
        let mut out = Vec::new();
        let mut start = 0u64;
        for level in (0..64u8).rev() {
            if size & (1u64 << level) != 0 {
                out.push(stored_hash_index(level, start >> level));
                start += 1u64 << level;
            }
        }
        out
    }

    /// Rebuilds the frontier from the hashes stored at [`Frontier::indexes`]`(size)`.
    pub fn from_hashes(size: u64, hashes: &[Hash]) -> Result<Self, tlog_tiles::Error> {
        let levels: Vec<u8> = (0..64u8).rev().filter(|l| size & (1u64 << l) != 0).collect();
        if levels.len() != hashes.len() {
            return Err(tlog_tiles::Error::InvalidInput(format!(
                "a tree of {size} leaves has {} frontier hashes, got {}",
                levels.len(),
                hashes.len()
            )));
        }
        Ok(Self { size, nodes: levels.into_iter().zip(hashes.iter().copied()).collect() })
    }

    /// Appends one leaf hash and pushes the `(stored index, hash)` pairs to store for it: the
    /// leaf itself, then every subtree it completes.
    pub fn append(&mut self, leaf: Hash, out: &mut Vec<(u64, Hash)>) {
        let n = self.size;
        let mut index = stored_hash_index(0, n);
        out.push((index, leaf));
        let mut level = 0u8;
        let mut hash = leaf;
        while let Some(&(l, left)) = self.nodes.last() {
            if l != level {
                break;
            }
            self.nodes.pop();
            hash = node_hash(left, hash);
            level += 1;
            index += 1;
            out.push((index, hash));
        }
        self.nodes.push((level, hash));
        self.size += 1;
    }

    /// The root hash (RFC 6962 MTH) of the tree so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        let Some(&(_, mut hash)) = iter.next() else {
            return EMPTY_HASH;
        };
        for &(_, left) in iter {
            hash = node_hash(left, hash);
        }
        hash
    }
}

/// A hash reader that records what it is asked for and answers from what it was given.
struct TwoStep {
    asked: RefCell<Vec<u64>>,
    known: HashMap<u64, Hash>,
}

impl HashReader for TwoStep {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let mut out = Vec::with_capacity(indexes.len());
        for i in indexes {
            match self.known.get(i) {
                Some(h) => out.push(*h),
                None => {
                    *self.asked.borrow_mut() = indexes.to_vec();
                    return Err(tlog_tiles::Error::IndexesNotInTree);
                }
            }
        }
        Ok(out)
    }
}

/// What a caller wants built from stored hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// The root of the tree of this size.
    Root { size: u64 },
    /// The inclusion proof of leaf `index` in the tree of `size`.
    Inclusion { index: u64, size: u64 },
    /// The consistency proof from the tree of `old` leaves to the tree of `new`.
    Consistency { old: u64, new: u64 },
}

/// Which stored hashes building `want` reads.
pub fn hashes_needed(want: Want) -> Result<Vec<u64>, tlog_tiles::Error> {
    let reader = TwoStep { asked: RefCell::new(Vec::new()), known: HashMap::new() };
    match build(want, &reader) {
        Ok(_) => Ok(Vec::new()),
        Err(tlog_tiles::Error::IndexesNotInTree) => Ok(reader.asked.into_inner()),
        Err(e) => Err(e),
    }
}

/// Builds `want` from the stored hashes `hashes_needed(want)` named, given as index → hash.
/// A root is returned as a one-element vector.
pub fn build_from(want: Want, known: HashMap<u64, Hash>) -> Result<Vec<Hash>, tlog_tiles::Error> {
    let reader = TwoStep { asked: RefCell::new(Vec::new()), known };
    build(want, &reader)
}

fn build(want: Want, reader: &TwoStep) -> Result<Vec<Hash>, tlog_tiles::Error> {
    match want {
        Want::Root { size } => tlog_tiles::tree_hash(size, reader).map(|h| vec![h]),
        Want::Inclusion { index, size } => tlog_tiles::prove_record(size, index, reader),
        Want::Consistency { old, new } => {
            if old == 0 || old == new {
                if old > new {
                    return Err(tlog_tiles::Error::InvalidInput("old > new".into()));
                }
                return Ok(Vec::new());
            }
            tlog_tiles::prove_tree(new, old, reader)
        }
    }
}

/// Checks an inclusion proof: leaf `leaf` is at `index` in the tree of `size` with `root`.
pub fn check_inclusion(proof: &[Hash], size: u64, root: Hash, index: u64, leaf: Hash) -> bool {
    tlog_tiles::check_record(&proof.to_vec(), size, root, index, leaf).is_ok()
}

/// Checks a consistency proof: the tree of `old` leaves with `old_root` is a prefix of the
/// tree of `new` leaves with `new_root`.
pub fn check_consistency(proof: &[Hash], old: u64, old_root: Hash, new: u64, new_root: Hash) -> bool {
    if old == 0 {
        return proof.is_empty() && old_root == EMPTY_HASH;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old > new {
        return false;
    }
    tlog_tiles::check_tree(&proof.to_vec(), new, new_root, old, old_root).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontier_matches_tlog_stored_hashes_and_tree_hash() {
        struct Mem(Vec<Hash>);
        impl HashReader for Mem {
            fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
                Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
            }
        }
        let mut stored = Mem(Vec::new());
        let mut frontier = Frontier::new();
        for n in 0..300u64 {
            let data = format!("leaf {n}");
            let expected = tlog_tiles::stored_hashes(n, data.as_bytes(), &stored).unwrap();
            let mut got = Vec::new();
            frontier.append(crate::leaf_hash(data.as_bytes()), &mut got);
            assert_eq!(got.iter().map(|p| p.1).collect::<Vec<_>>(), expected, "stored hashes of leaf {n}");
            for (i, (index, h)) in got.into_iter().enumerate() {
                assert_eq!(index, stored.0.len() as u64, "leaf {n} hash {i} goes next");
                stored.0.push(h);
            }
            assert_eq!(frontier.root(), tlog_tiles::tree_hash(n + 1, &stored).unwrap(), "root at {}", n + 1);
            let size = n + 1;
            let indexes = Frontier::indexes(size);
            let hashes: Vec<Hash> = indexes.iter().map(|&i| stored.0[i as usize]).collect();
            assert_eq!(Frontier::from_hashes(size, &hashes).unwrap(), frontier, "frontier rebuilt at {size}");
        }
    }
}
