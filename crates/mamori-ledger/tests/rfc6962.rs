//! The tree against RFC 6962 itself and against a second, independent implementation.
//!
//! `reference` below is RFC 6962 §2.1 written out literally — MTH, PATH and PROOF as the
//! RFC defines them, recursive and slow — and is the source of the known answers for every
//! size up to `MAX`. `ct-merkle` is the second implementation for the property tests.

use std::collections::HashMap;

use mamori_ledger::tree::{build_from, check_consistency, check_inclusion, hashes_needed, Want};
use mamori_ledger::{leaf_hash, node_hash, Frontier, Hash, EMPTY_HASH};
use proptest::prelude::*;

const MAX: u64 = 70;

mod reference {
    use super::*;

    fn k(n: usize) -> usize {
        // The largest power of two smaller than n (n > 1).
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    pub fn mth(d: &[Vec<u8>]) -> Hash {
        match d.len() {
            0 => EMPTY_HASH,
            1 => leaf_hash(&d[0]),
            n => {
                let k = k(n);
                node_hash(mth(&d[..k]), mth(&d[k..]))
            }
        }
    }

    /// PATH(m, D[n]), RFC 6962 §2.1.1.
    pub fn path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
        let n = d.len();
        if n == 1 {
            return Vec::new();
        }
        let k = k(n);
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }

    /// PROOF(m, D[n]), RFC 6962 §2.1.2.
    pub fn proof(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
        subproof(m, d, true)
    }

    fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if b { Vec::new() } else { vec![mth(d)] };
        }
        let k = k(n);
        if m <= k {
            let mut p = subproof(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = subproof(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }
}

fn leaves(n: u64) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("{{\"seq\":{}}}", i + 1).into_bytes()).collect()
}

/// Appends `d` through the frontier, returning every stored hash by index.
fn store(d: &[Vec<u8>]) -> (Frontier, HashMap<u64, Hash>) {
    let mut frontier = Frontier::new();
    let mut out = Vec::new();
    for leaf in d {
        frontier.append(leaf_hash(leaf), &mut out);
    }
    (frontier, out.into_iter().collect())
}

fn from_store(want: Want, stored: &HashMap<u64, Hash>) -> Vec<Hash> {
    let needed = hashes_needed(want).expect("valid request");
    let known = needed.iter().map(|i| (*i, stored[i])).collect();
    build_from(want, known).expect("all needed hashes given")
}

fn hex(h: &Hash) -> String {
    h.0.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn empty_tree_is_the_hash_of_nothing() {
    assert_eq!(hex(&Frontier::new().root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(from_store(Want::Root { size: 0 }, &HashMap::new()), vec![EMPTY_HASH]);
}

#[test]
fn certificate_transparency_test_vectors() {
    // The eight leaves of the CT project's Merkle tree tests and their published roots.
    let inputs: [&[u8]; 8] = [
        b"",
        &[0x00],
        &[0x10],
        &[0x20, 0x21],
        &[0x30, 0x31],
        &[0x40, 0x41, 0x42, 0x43],
        &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        &[0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ];
    let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let mut frontier = Frontier::new();
    let mut sink = Vec::new();
    for (input, root) in inputs.iter().zip(roots) {
        frontier.append(leaf_hash(input), &mut sink);
        assert_eq!(hex(&frontier.root()), root, "root at size {}", frontier.size());
        let d: Vec<Vec<u8>> = inputs[..frontier.size() as usize].iter().map(|x| x.to_vec()).collect();
        assert_eq!(hex(&reference::mth(&d)), root, "the reference agrees at size {}", d.len());
    }
}

#[test]
fn roots_and_proofs_match_the_rfc_definitions_for_every_size() {
    for n in 0..=MAX {
        let d = leaves(n);
        let (frontier, stored) = store(&d);
        let root = reference::mth(&d);
        assert_eq!(frontier.root(), root, "frontier root at {n}");
        assert_eq!(from_store(Want::Root { size: n }, &stored), vec![root], "stored-hash root at {n}");
        for m in 0..n {
            let path = from_store(Want::Inclusion { index: m, size: n }, &stored);
            assert_eq!(path, reference::path(m as usize, &d), "PATH({m}, D[{n}])");
            assert!(check_inclusion(&path, n, root, m, leaf_hash(&d[m as usize])), "inclusion {m} in {n} verifies");
        }
        for m in 1..=n {
            let proof = from_store(Want::Consistency { old: m, new: n }, &stored);
            assert_eq!(proof, reference::proof(m as usize, &d), "PROOF({m}, D[{n}])");
            let old_root = reference::mth(&d[..m as usize]);
            assert!(check_consistency(&proof, m, old_root, n, root), "consistency {m} → {n} verifies");
        }
        assert!(check_consistency(&[], 0, EMPTY_HASH, n, root), "the empty tree is a prefix of everything");
    }
}

fn flip(h: &mut Hash, bit: usize) {
    h.0[bit / 8] ^= 1 << (bit % 8);
}

#[test]
fn every_proof_fails_when_any_single_bit_is_flipped() {
    for n in [1u64, 2, 3, 5, 8, 13, 21, 32, 33] {
        let d = leaves(n);
        let (_, stored) = store(&d);
        let root = reference::mth(&d);
        for m in 0..n {
            let proof = from_store(Want::Inclusion { index: m, size: n }, &stored);
            let leaf = leaf_hash(&d[m as usize]);
            for i in 0..proof.len() {
                for bit in 0..256 {
                    let mut bad = proof.clone();
                    flip(&mut bad[i], bit);
                    assert!(!check_inclusion(&bad, n, root, m, leaf), "inclusion {m}/{n}: hash {i} bit {bit}");
                }
            }
            for bit in 0..256 {
                let mut bad_root = root;
                flip(&mut bad_root, bit);
                assert!(!check_inclusion(&proof, n, bad_root, m, leaf), "inclusion {m}/{n}: root bit {bit}");
                let mut bad_leaf = leaf;
                flip(&mut bad_leaf, bit);
                assert!(!check_inclusion(&proof, n, root, m, bad_leaf), "inclusion {m}/{n}: leaf bit {bit}");
            }
        }
        for m in 1..n {
            let proof = from_store(Want::Consistency { old: m, new: n }, &stored);
            let old_root = reference::mth(&d[..m as usize]);
            for i in 0..proof.len() {
                for bit in 0..256 {
                    let mut bad = proof.clone();
                    flip(&mut bad[i], bit);
                    assert!(!check_consistency(&bad, m, old_root, n, root), "consistency {m}→{n}: hash {i} bit {bit}");
                }
            }
            for bit in 0..256 {
                let mut bad_old = old_root;
                flip(&mut bad_old, bit);
                assert!(!check_consistency(&proof, m, bad_old, n, root), "consistency {m}→{n}: old root bit {bit}");
                let mut bad_new = root;
                flip(&mut bad_new, bit);
                assert!(!check_consistency(&proof, m, old_root, n, bad_new), "consistency {m}→{n}: new root bit {bit}");
            }
        }
    }
}

mod second {
    //! ct-merkle, an independent implementation, with sha2 0.11.
    use ct_merkle::mem_backed_tree::MemoryBackedTree;
    use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
    pub type Sha = sha2_next::Sha256;

    pub fn tree(d: &[Vec<u8>]) -> MemoryBackedTree<Sha, Vec<u8>> {
        let mut t = MemoryBackedTree::new();
        for leaf in d {
            t.push(leaf.clone());
        }
        t
    }

    pub fn root_bytes(t: &MemoryBackedTree<Sha, Vec<u8>>) -> [u8; 32] {
        t.root().as_bytes().as_slice().try_into().unwrap()
    }

    pub fn inclusion(t: &MemoryBackedTree<Sha, Vec<u8>>, idx: u64) -> Vec<u8> {
        t.prove_inclusion(idx as usize).as_bytes().to_vec()
    }

    pub fn consistency(t: &MemoryBackedTree<Sha, Vec<u8>>, old: u64) -> Vec<u8> {
        t.prove_consistency((t.len() - old) as usize).as_bytes().to_vec()
    }

    pub fn verify_inclusion(root: [u8; 32], n: u64, leaf: &[u8], idx: u64, proof: Vec<u8>) -> bool {
        let root = RootHash::<Sha>::new(root.into(), n);
        let proof = InclusionProof::<Sha>::from_bytes(proof);
        root.verify_inclusion(&leaf.to_vec(), idx, &proof).is_ok()
    }

    pub fn verify_consistency(old_root: [u8; 32], old: u64, new_root: [u8; 32], new: u64, proof: Vec<u8>) -> bool {
        let old_root = RootHash::<Sha>::new(old_root.into(), old);
        let new_root = RootHash::<Sha>::new(new_root.into(), new);
        match ConsistencyProof::<Sha>::try_from_bytes(proof) {
            Ok(p) => new_root.verify_consistency(&old_root, &p).is_ok(),
            Err(_) => false,
        }
    }
}

fn flat(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn agrees_with_ct_merkle(
        d in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..200),
        pick in any::<u64>(),
        pick_old in any::<u64>(),
    ) {
        let n = d.len() as u64;
        let (frontier, stored) = store(&d);
        let t = second::tree(&d);
        let root = frontier.root();
        prop_assert_eq!(root.0, second::root_bytes(&t));

        let idx = pick % n;
        let ours = from_store(Want::Inclusion { index: idx, size: n }, &stored);
        let theirs = second::inclusion(&t, idx);
        prop_assert_eq!(flat(&ours), theirs.clone());
        prop_assert!(second::verify_inclusion(root.0, n, &d[idx as usize], idx, flat(&ours)));
        let theirs_hashes: Vec<Hash> = theirs.chunks(32).map(|c| Hash(c.try_into().unwrap())).collect();
        prop_assert!(check_inclusion(&theirs_hashes, n, root, idx, leaf_hash(&d[idx as usize])));

        let old = 1 + pick_old % n;
        let (old_frontier, _) = store(&d[..old as usize]);
        let ours = from_store(Want::Consistency { old, new: n }, &stored);
        if old < n {
            let theirs = second::consistency(&t, old);
            prop_assert_eq!(flat(&ours), theirs.clone());
            let theirs_hashes: Vec<Hash> = theirs.chunks(32).map(|c| Hash(c.try_into().unwrap())).collect();
            prop_assert!(check_consistency(&theirs_hashes, old, old_frontier.root(), n, root));
        }
        prop_assert!(second::verify_consistency(old_frontier.root().0, old, root.0, n, flat(&ours)) || old == n);
        prop_assert!(check_consistency(&ours, old, old_frontier.root(), n, root));
    }
}
