//! Unsigned tails, witnesses' cosignatures, the witness's refusals and key rotation,
//! without a database.

use mamori_ledger::cosignature::{with_lines, WitnessKey, WitnessPublicKey};
use mamori_ledger::keys::{KeyChain, KeyIntroduction};
use mamori_ledger::tree::{build_from, hashes_needed, Want};
use mamori_ledger::witness::{add_checkpoint, AddCheckpoint, Latest, Refusal};
use mamori_ledger::{Frontier, Hash, Leaf, LedgerKey, Report, Verifier, WitnessPolicy};

const ORIGIN: &str = "mamori-test/shime";
const NOW: u64 = 1_796_000_000;

fn leaf(seq: u64) -> Leaf {
    Leaf {
        action: "asset.update".into(),
        actor: "somu".into(),
        actor_user_id: Some(3),
        at: format!("2026-11-22T10:{:02}:{:02}.000+09:00", seq / 60 % 60, seq % 60),
        clock_synced: true,
        org_id: 1,
        payload_sha256: mamori_ledger::sha256_hex(format!("{{\"n\":{seq}}}").as_bytes()),
        profile_version_id: Some(1),
        request_id: String::new(),
        result: "ok".into(),
        role: "security_manager".into(),
        seq,
        target_id: seq.to_string(),
        target_kind: "asset".into(),
        v: 1,
    }
}

/// The leaves, every stored hash by index, and the root at each size (index size − 1).
fn tree(n: u64) -> (Vec<Leaf>, std::collections::HashMap<u64, Hash>, Vec<Hash>) {
    let leaves: Vec<Leaf> = (1..=n).map(leaf).collect();
    let mut f = Frontier::new();
    let mut stored = Vec::new();
    let mut roots = Vec::new();
    for l in &leaves {
        f.append(l.hash(), &mut stored);
        roots.push(f.root());
    }
    (leaves, stored.into_iter().collect(), roots)
}

fn consistency(hashes: &std::collections::HashMap<u64, Hash>, old: u64, new: u64) -> Vec<Hash> {
    let want = Want::Consistency { old, new };
    let needed = hashes_needed(want).unwrap();
    build_from(want, needed.iter().map(|i| (*i, hashes[i])).collect()).unwrap()
}

fn verify_with(leaves: &[Leaf], checkpoints: &[String], chain: KeyChain, setup: impl FnOnce(&mut Verifier)) -> Report {
    let mut v = Verifier::with_keys(ORIGIN, chain, Some(1));
    setup(&mut v);
    for (i, c) in checkpoints.iter().enumerate() {
        v.checkpoint(&format!("チェックポイント #{}", i + 1), c);
    }
    let mut f = Frontier::new();
    let mut stored = Vec::new();
    for (i, l) in leaves.iter().enumerate() {
        v.entry(i as u64, &l.view(), None);
        f.append(l.hash(), &mut stored);
        for (idx, h) in stored.drain(..) {
            v.stored_hash(idx, h);
        }
    }
    v.finish(Some(leaves.len() as u64))
}

#[test]
fn entries_beyond_the_latest_signed_checkpoint_are_an_unsigned_tail_named_by_range() {
    let key = LedgerKey::generate("mamori-test").unwrap();
    let (leaves, _, roots) = tree(338);
    let chain = KeyChain::single(key.verifying_key().clone());
    let signed_317 = key.sign(ORIGIN, 317, roots[316]).text;
    let report = verify_with(&leaves, std::slice::from_ref(&signed_317), chain.clone(), |_| {});
    assert!(!report.ok());
    assert_eq!(report.unsigned, Some((317, 337)));
    assert!(report.problems.iter().any(|p| p.contains("署名されていない記録 index 317–337")), "{:?}", report.problems);
    // Signed to the end, the same log passes.
    let report = verify_with(&leaves, &[signed_317, key.sign(ORIGIN, 338, roots[337]).text], chain, |_| {});
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.unsigned, None);
}

#[test]
fn a_cosignature_round_trips_and_is_bound_to_its_checkpoint() {
    let log = LedgerKey::generate("mamori-test").unwrap();
    let witness = WitnessKey::generate("kansa.shime.example/w1").unwrap();
    let again = WitnessKey::from_text(&witness.to_text()).unwrap();
    assert_eq!(again.public(), witness.public());
    let public = WitnessPublicKey::parse(witness.public().text()).unwrap();
    assert!(public.text().starts_with("kansa.shime.example/w1+"), "{}", public.text());
    let (_, _, roots) = tree(20);
    let cp = log.sign(ORIGIN, 20, roots[19]).text;
    let line = witness.cosign(&cp, NOW).unwrap();
    assert!(line.starts_with("— kansa.shime.example/w1 "), "{line}");
    let cosigned = with_lines(&cp, std::slice::from_ref(&line));
    assert_eq!(public.find(&cosigned).unwrap(), Some(NOW));
    // The log's checkpoint still opens with the extra line.
    assert!(mamori_ledger::checkpoint::open(&cosigned, log.verifying_key(), Some(ORIGIN)).is_ok());
    // Moved onto another checkpoint, the cosignature does not hold.
    let other = log.sign(ORIGIN, 19, roots[18]).text;
    let moved = with_lines(&other, &[line]);
    assert!(public.find(&moved).is_err());
    // Another witness's key does not count it.
    let stranger = WitnessKey::generate("kansa.shime.example/w1").unwrap();
    assert_eq!(stranger.public().find(&cosigned).unwrap(), None);
}

#[test]
fn a_witness_cosigns_consistent_checkpoints_and_refuses_forks_inconsistency_and_rollback() {
    let log = LedgerKey::generate("mamori-test").unwrap();
    let chain = KeyChain::single(log.verifying_key().clone());
    let witness = WitnessKey::generate("kansa.shime.example/w1").unwrap();
    let (_, hashes, roots) = tree(60);
    let cp = |n: u64| log.sign(ORIGIN, n, roots[n as usize - 1]).text;

    // First contact: from 0, no proof.
    let first = AddCheckpoint { old_size: 0, proof: vec![], checkpoint: cp(20) };
    assert_eq!(AddCheckpoint::parse(&first.to_text()).unwrap(), first);
    let (latest, line) = add_checkpoint(ORIGIN, &chain, None, &first, &witness, NOW).unwrap();
    assert_eq!(latest.size, 20);
    assert_eq!(witness.public().find(&with_lines(&cp(20), &[line])).unwrap(), Some(NOW));

    // 20 → 45 with its consistency proof.
    let next = AddCheckpoint { old_size: 20, proof: consistency(&hashes, 20, 45), checkpoint: cp(45) };
    let parsed = AddCheckpoint::parse(&next.to_text()).unwrap();
    let (latest, _) = add_checkpoint(ORIGIN, &chain, Some(&latest), &parsed, &witness, NOW + 60).unwrap();
    assert_eq!(latest.size, 45);

    // A fork: the same size with another root, signed with the log's real key.
    let forged = log.sign(ORIGIN, 45, mamori_ledger::leaf_hash(b"another history")).text;
    let err = add_checkpoint(
        ORIGIN,
        &chain,
        Some(&latest),
        &AddCheckpoint { old_size: 45, proof: vec![], checkpoint: forged.clone() },
        &witness,
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, Refusal::Fork { size: 45, .. }), "{err}");
    assert_eq!(err.evidence(), Some((latest.checkpoint.as_str(), forged.as_str())));
    assert!(err.to_string().contains("分岐"));

    // An inconsistent checkpoint: a bigger tree that does not extend the one kept.
    let (_, other_hashes, other_roots) = {
        let mut t = tree(60);
        t.0[10].actor = "intruder".into();
        let mut f = Frontier::new();
        let mut stored = Vec::new();
        let mut roots = Vec::new();
        for l in &t.0 {
            f.append(l.hash(), &mut stored);
            roots.push(f.root());
        }
        (t.0, stored.into_iter().collect::<std::collections::HashMap<_, _>>(), roots)
    };
    let bad =
        AddCheckpoint { old_size: 45, proof: consistency(&other_hashes, 45, 60), checkpoint: log.sign(ORIGIN, 60, other_roots[59]).text };
    let err = add_checkpoint(ORIGIN, &chain, Some(&latest), &bad, &witness, NOW).unwrap_err();
    assert!(matches!(err, Refusal::Inconsistent { old: 45, new: 60, .. }), "{err}");
    assert!(err.evidence().is_some());
    // The right tree's proof with the wrong checkpoint is inconsistent too.
    let bad = AddCheckpoint { old_size: 45, proof: consistency(&hashes, 45, 60), checkpoint: log.sign(ORIGIN, 60, other_roots[59]).text };
    assert!(matches!(add_checkpoint(ORIGIN, &chain, Some(&latest), &bad, &witness, NOW), Err(Refusal::Inconsistent { .. })));

    // A rollback to a smaller tree, and a proof from a size the witness does not hold.
    let back = AddCheckpoint { old_size: 20, proof: consistency(&hashes, 20, 30), checkpoint: cp(30) };
    assert!(matches!(add_checkpoint(ORIGIN, &chain, Some(&latest), &back, &witness, NOW), Err(Refusal::Rollback { known: 45, .. })));
    let stale = AddCheckpoint { old_size: 20, proof: consistency(&hashes, 20, 60), checkpoint: cp(60) };
    assert!(matches!(
        add_checkpoint(ORIGIN, &chain, Some(&latest), &stale, &witness, NOW),
        Err(Refusal::Conflict { known: 45, claimed: 20 })
    ));

    // A checkpoint signed by a key the witness was not configured with.
    let stranger = LedgerKey::generate("mamori-test").unwrap();
    let foreign = AddCheckpoint { old_size: 45, proof: vec![], checkpoint: stranger.sign(ORIGIN, 45, roots[44]).text };
    assert!(matches!(add_checkpoint(ORIGIN, &chain, Some(&latest), &foreign, &witness, NOW), Err(Refusal::Checkpoint(_))));

    // The state survives as JSON.
    let kept: Latest = serde_json::from_str(&serde_json::to_string(&latest).unwrap()).unwrap();
    assert_eq!(kept, latest);
}

#[test]
fn verify_requires_recent_cosignatures_from_enough_witnesses() {
    let log = LedgerKey::generate("mamori-test").unwrap();
    let chain = KeyChain::single(log.verifying_key().clone());
    let w1 = WitnessKey::generate("kansa.example/w1").unwrap();
    let w2 = WitnessKey::generate("iinkai.example/w2").unwrap();
    let (leaves, _, roots) = tree(50);
    let cp = |n: u64| log.sign(ORIGIN, n, roots[n as usize - 1]).text;
    let checkpoints = vec![cp(30), cp(50)];
    let policy =
        |min: usize| WitnessPolicy { keys: vec![w1.public().clone(), w2.public().clone()], min, now: NOW, max_age: Some(24 * 3600) };
    let cosigned_30 = with_lines(&cp(30), &[w1.cosign(&cp(30), NOW - 100).unwrap(), w2.cosign(&cp(30), NOW - 50).unwrap()]);

    // Two witnesses cosigned 30 recently: one or two required both pass.
    for min in [1, 2] {
        let report = verify_with(&leaves, &checkpoints, chain.clone(), |v| {
            v.require_witnesses(policy(min));
            v.witnessed("連署 30", &cosigned_30);
        });
        assert!(report.ok(), "min {min}: {:?}", report.problems);
        assert_eq!(report.witnessed, Some((30, NOW - 50)));
        assert_eq!(report.cosignatures, 2);
    }

    // Only one witness, two required.
    let one = with_lines(&cp(30), &[w1.cosign(&cp(30), NOW).unwrap()]);
    let report = verify_with(&leaves, &checkpoints, chain.clone(), |v| {
        v.require_witnesses(policy(2));
        v.witnessed("連署 30", &one);
    });
    assert!(report.problems.iter().any(|p| p.contains("[立会人]")), "{:?}", report.problems);

    // Cosigned two days ago only: not recent.
    let old = with_lines(&cp(30), &[w1.cosign(&cp(30), NOW - 2 * 86400).unwrap()]);
    let report = verify_with(&leaves, &checkpoints, chain.clone(), |v| {
        v.require_witnesses(policy(1));
        v.witnessed("連署 30", &old);
    });
    assert!(report.problems.iter().any(|p| p.contains("[立会人]") && p.contains("48 時間前")), "{:?}", report.problems);

    // Rolled back: the witnesses cosigned 50, the log now holds 40 (checkpoints past it gone).
    let cosigned_50 = with_lines(&cp(50), &[w1.cosign(&cp(50), NOW).unwrap()]);
    let report = verify_with(&leaves[..40], &[cp(30), cp(40)], chain.clone(), |v| {
        v.require_witnesses(policy(1));
        v.witnessed("連署 50", &cosigned_50);
    });
    assert!(report.problems.iter().any(|p| p.contains("連署 50") && p.contains("切り詰め")), "{:?}", report.problems);
    assert!(report.problems.iter().any(|p| p.contains("[立会人]")), "{:?}", report.problems);

    // A cosignature line edited: named as not holding.
    let mut edited = cosigned_30.clone();
    let pos = edited.rfind(' ').unwrap() + 60;
    let ch = if &edited[pos..pos + 1] == "A" { "B" } else { "A" };
    edited.replace_range(pos..pos + 1, ch);
    let report = verify_with(&leaves, &checkpoints, chain, |v| {
        v.require_witnesses(policy(1));
        v.witnessed("連署 30", &edited);
    });
    assert!(report.problems.iter().any(|p| p.contains("連署 30") && p.contains("正しくありません")), "{:?}", report.problems);
}

#[test]
fn verify_follows_a_key_rotation_and_refuses_a_key_no_introduction_names() {
    let old = LedgerKey::generate("mamori-test").unwrap();
    let new = LedgerKey::from_text(&LedgerKey::generate("mamori-test").unwrap().to_text()).unwrap();
    let (leaves, _, roots) = tree(60);
    let intro = KeyIntroduction::make(&old, &new, ORIGIN, 30, roots[29]);
    let intros = vec![("鍵の引き継ぎ #1".to_owned(), intro.clone())];
    let checkpoints = vec![
        old.sign(ORIGIN, 10, roots[9]).text,
        old.sign(ORIGIN, 30, roots[29]).text,
        new.sign(ORIGIN, 45, roots[44]).text,
        new.sign(ORIGIN, 60, roots[59]).text,
    ];

    // Trusting the first key (an auditor's pin) or the current one (the key file) alike.
    for trusted in [old.verifying_key(), new.verifying_key()] {
        let chain = KeyChain::from_introductions(trusted, ORIGIN, &intros).unwrap();
        assert_eq!(chain.first().text(), old.verifying_key().text());
        assert_eq!(chain.current().text(), new.verifying_key().text());
        let opened = KeyIntroduction::open("#1", &intro).unwrap();
        let report = verify_with(&leaves, &checkpoints, chain, |v| v.key_introduction("鍵の引き継ぎ #1", &opened));
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.latest.unwrap().size, 60);
    }

    // Without the introduction, the new key's checkpoints are refused.
    let report = verify_with(&leaves, &checkpoints, KeyChain::single(old.verifying_key().clone()), |_| {});
    assert!(report.problems.iter().any(|p| p.contains("チェックポイント #3") && p.contains("既知の鍵")), "{:?}", report.problems);

    // A key nobody introduced cannot join by being trusted, nor sign.
    let stranger = LedgerKey::generate("mamori-test").unwrap();
    assert!(KeyChain::from_introductions(stranger.verifying_key(), ORIGIN, &intros).is_err());
    let chain = KeyChain::from_introductions(old.verifying_key(), ORIGIN, &intros).unwrap();
    let mut forged = checkpoints.clone();
    forged[3] = stranger.sign(ORIGIN, 60, roots[59]).text;
    let report = verify_with(&leaves, &forged, chain.clone(), |_| {});
    assert!(report.problems.iter().any(|p| p.contains("チェックポイント #4") && p.contains("既知の鍵")), "{:?}", report.problems);

    // The retired key signing past its handover is refused.
    let mut late = checkpoints.clone();
    late[3] = old.sign(ORIGIN, 60, roots[59]).text;
    let report = verify_with(&leaves, &late, chain, |_| {});
    assert!(report.problems.iter().any(|p| p.contains("チェックポイント #4") && p.contains("引き継がれた鍵")), "{:?}", report.problems);

    // An introduction signed by the old key alone, or with a handover root that is not the
    // log's, is refused.
    let mut half = intro.clone();
    let last_line = half.trim_end().rsplit_once('\n').unwrap().0.len();
    half.truncate(last_line + 1);
    assert!(KeyIntroduction::open("#1", &half).is_err());
    let wrong = KeyIntroduction::make(&old, &new, ORIGIN, 30, roots[28]);
    let chain = KeyChain::from_introductions(old.verifying_key(), ORIGIN, &[("#1".into(), wrong.clone())]).unwrap();
    let opened = KeyIntroduction::open("#1", &wrong).unwrap();
    let report = verify_with(&leaves, &checkpoints, chain, |v| v.key_introduction("鍵の引き継ぎ #1", &opened));
    assert!(report.problems.iter().any(|p| p.contains("鍵の引き継ぎ #1") && p.contains("一致しません")), "{:?}", report.problems);
}
