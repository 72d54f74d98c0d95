//! Signed checkpoints, the verifier and the bundle, without a database.

use base64::Engine;
use mamori_ledger::bundle::{self, BundleWriter, Line};
use mamori_ledger::checkpoint::{open, open_all, CheckpointError};
use mamori_ledger::{Frontier, Leaf, LedgerKey, Verifier};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const ORIGIN: &str = "mamori-test/shime";

fn leaf(seq: u64, at: &str) -> Leaf {
    Leaf {
        action: "asset.update".into(),
        actor: "somu".into(),
        actor_user_id: Some(3),
        at: at.into(),
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

fn log(n: u64) -> Vec<Leaf> {
    (1..=n).map(|s| leaf(s, &format!("2026-11-22T10:{:02}:{:02}.000+09:00", s / 60 % 60, s % 60))).collect()
}

#[test]
fn a_signed_checkpoint_opens_with_its_key_and_origin() {
    let key = LedgerKey::generate("mamori-test").unwrap();
    let mut f = Frontier::new();
    let mut sink = Vec::new();
    for l in log(5) {
        f.append(l.hash(), &mut sink);
    }
    let cp = key.sign(ORIGIN, 5, f.root());
    let lines: Vec<&str> = cp.text.lines().collect();
    assert_eq!(lines[0], ORIGIN);
    assert_eq!(lines[1], "5");
    assert_eq!(lines[2], B64.encode(f.root().0));
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("— mamori-test "), "signature line: {}", lines[4]);
    assert!(cp.text.len() < 300, "small enough for a QR code: {} bytes", cp.text.len());
    let opened = open(&cp.text, key.verifying_key(), Some(ORIGIN)).unwrap();
    assert_eq!(opened, cp);
    // The key survives its text form.
    let again = LedgerKey::from_text(&key.to_text()).unwrap();
    assert_eq!(again.verifying_key().text(), key.verifying_key().text());
    assert!(open(&again.sign(ORIGIN, 5, f.root()).text, key.verifying_key(), Some(ORIGIN)).is_ok());
}

#[test]
fn bad_checkpoints_are_each_named() {
    let key = LedgerKey::generate("mamori-test").unwrap();
    let other = LedgerKey::generate("mamori-test").unwrap();
    let stranger = LedgerKey::generate("someone-else").unwrap();
    let root = mamori_ledger::leaf_hash(b"x");
    let good = key.sign(ORIGIN, 12, root).text;
    let vk = key.verifying_key();

    // A forged signature: one byte of the signature changed.
    let (body, sig) = good.rsplit_once(' ').unwrap();
    let mut raw = B64.decode(sig.trim_end()).unwrap();
    raw[10] ^= 0x01;
    let forged = format!("{body} {}\n", B64.encode(&raw));
    assert!(matches!(open(&forged, vk, Some(ORIGIN)), Err(CheckpointError::BadSignature(_))));

    // Signed by another key of the same name (same name, different key id) or a stranger.
    assert!(matches!(open(&other.sign(ORIGIN, 12, root).text, vk, Some(ORIGIN)), Err(CheckpointError::UnknownKey(_))));
    let e = open(&stranger.sign(ORIGIN, 12, root).text, vk, Some(ORIGIN)).unwrap_err();
    assert!(matches!(&e, CheckpointError::UnknownKey(who) if who.contains("someone-else")), "{e}");

    // The body edited after signing.
    let edited = good.replacen("\n12\n", "\n13\n", 1);
    assert!(matches!(open(&edited, vk, Some(ORIGIN)), Err(CheckpointError::BadSignature(_))));

    // Leading zeros.
    let zeros = good.replacen("\n12\n", "\n012\n", 1);
    assert!(matches!(open(&zeros, vk, Some(ORIGIN)), Err(CheckpointError::Malformed(m)) if m.contains("0 で始まって")));

    // Non-canonical base64: same bytes, non-zero padding bits.
    let b64 = B64.encode(root.0);
    let last = b64.as_bytes()[42] as char;
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let pos = alphabet.find(last).unwrap();
    let twin = alphabet.as_bytes()[pos ^ 1] as char;
    let noncanon = good.replacen(&b64, &format!("{}{twin}=", &b64[..42]), 1);
    assert_ne!(noncanon, good);
    assert!(matches!(open(&noncanon, vk, Some(ORIGIN)), Err(CheckpointError::Malformed(m)) if m.contains("base64")));

    // Control characters.
    let control = good.replacen(ORIGIN, &format!("{ORIGIN}\u{7}"), 1);
    assert!(matches!(open(&control, vk, Some(ORIGIN)), Err(CheckpointError::Malformed(m)) if m.contains("制御文字")));
    let cr = good.replace('\n', "\r\n");
    assert!(matches!(open(&cr, vk, Some(ORIGIN)), Err(CheckpointError::Malformed(_))));

    // Missing signature block, wrong origin.
    let unsigned = good.split("\n\n").next().unwrap().to_owned() + "\n";
    assert!(matches!(open(&unsigned, vk, Some(ORIGIN)), Err(CheckpointError::Malformed(_))));
    assert!(matches!(open(&key.sign("mamori-test/other", 12, root).text, vk, Some(ORIGIN)), Err(CheckpointError::WrongOrigin { .. })));
}

/// Every kind of bad checkpoint `bad_checkpoints_are_each_named` makes, among good ones.
fn mixed_checkpoints(key: &LedgerKey) -> Vec<String> {
    let other = LedgerKey::generate("mamori-test").unwrap();
    let stranger = LedgerKey::generate("someone-else").unwrap();
    let mut texts = Vec::new();
    for size in 1..=300u64 {
        let root = mamori_ledger::leaf_hash(&size.to_be_bytes());
        let good = key.sign(ORIGIN, size, root).text;
        let (body, sig) = good.rsplit_once(' ').unwrap();
        let mut raw = B64.decode(sig.trim_end()).unwrap();
        raw[10 + (size as usize % 50)] ^= 1 << (size % 8);
        let bad = match size % 23 {
            3 => format!("{body} {}\n", B64.encode(&raw)),
            7 => other.sign(ORIGIN, size, root).text,
            11 => stranger.sign(ORIGIN, size, root).text,
            13 => good.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1),
            17 => good.replacen(&format!("\n{size}\n"), &format!("\n0{size}\n"), 1),
            // Signed twice by the key: the first signature is what counts.
            19 => format!("{good}{}", good.rsplit_once("\n\n").unwrap().1),
            // A stranger's signature beside the key's.
            21 => {
                let theirs = stranger.sign(ORIGIN, size, root).text;
                format!("{good}{}", theirs.rsplit_once("\n\n").unwrap().1)
            }
            _ => good.clone(),
        };
        texts.push(bad);
    }
    texts
}

#[test]
fn opening_in_batches_gives_each_checkpoint_the_verdict_it_gets_alone() {
    let key = LedgerKey::generate("mamori-test").unwrap();
    let vk = key.verifying_key();
    let texts = mixed_checkpoints(&key);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let alone: Vec<_> = refs.iter().map(|t| open(t, vk, None)).collect();
    assert!(alone.iter().filter(|r| r.is_ok()).count() > 200);
    assert!(alone.iter().any(|r| matches!(r, Err(CheckpointError::BadSignature(_)))));
    assert!(alone.iter().any(|r| matches!(r, Err(CheckpointError::UnknownKey(_)))));
    for threads in [1, 2, 4] {
        // With forged signatures among them, every batch fails and is checked one by one.
        assert_eq!(open_all(&refs, vk, threads), alone, "{threads} threads");
        // All good: the batches hold.
        let good: Vec<&str> = refs.iter().zip(&alone).filter(|(_, r)| r.is_ok()).map(|(t, _)| *t).collect();
        let opened = open_all(&good, vk, threads);
        assert!(opened.iter().all(Result::is_ok));
        assert_eq!(opened.into_iter().map(|r| r.unwrap().text).collect::<Vec<_>>(), good);
    }
    // One forged signature in an otherwise good batch is named, and only it.
    let mut one_bad: Vec<String> = (1..=200u64).map(|n| key.sign(ORIGIN, n, mamori_ledger::leaf_hash(&n.to_be_bytes())).text).collect();
    let (body, sig) = one_bad[150].rsplit_once(' ').unwrap();
    let mut raw = B64.decode(sig.trim_end()).unwrap();
    raw[40] ^= 0x80;
    one_bad[150] = format!("{body} {}\n", B64.encode(&raw));
    let refs: Vec<&str> = one_bad.iter().map(String::as_str).collect();
    let opened = open_all(&refs, vk, 2);
    for (i, r) in opened.iter().enumerate() {
        assert_eq!(r.is_err(), i == 150, "checkpoint {i}: {r:?}");
    }
    assert!(matches!(opened[150], Err(CheckpointError::BadSignature(_))));
}

fn verify(leaves: &[Leaf], checkpoints: &[String], anchors: &[String], key: &LedgerKey) -> mamori_ledger::Report {
    let mut v = Verifier::new(ORIGIN, key.verifying_key().clone(), Some(1));
    for (i, c) in checkpoints.iter().enumerate() {
        v.checkpoint(&format!("チェックポイント #{}", i + 1), c);
    }
    for (i, a) in anchors.iter().enumerate() {
        v.anchor(&format!("アンカー {}", i + 1), a);
    }
    let mut f = Frontier::new();
    let mut stored = Vec::new();
    for (i, l) in leaves.iter().enumerate() {
        v.entry(i as u64, &l.view(), None);
        f.append(l.hash(), &mut stored);
    }
    for (i, h) in stored {
        v.stored_hash(i, h);
    }
    v.finish(Some(leaves.len() as u64))
}

fn roots(leaves: &[Leaf]) -> Vec<mamori_ledger::Hash> {
    let mut f = Frontier::new();
    let mut sink = Vec::new();
    leaves
        .iter()
        .map(|l| {
            f.append(l.hash(), &mut sink);
            f.root()
        })
        .collect()
}

#[test]
fn the_verifier_passes_a_good_log_and_names_what_is_wrong() {
    let key = LedgerKey::generate("mamori-test").unwrap();
    let leaves = log(40);
    let r = roots(&leaves);
    let cps: Vec<String> = [10u64, 25, 40].iter().map(|&s| key.sign(ORIGIN, s, r[s as usize - 1]).text).collect();
    let report = verify(&leaves, &cps, &[], &key);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 40);
    assert_eq!(report.latest.as_ref().unwrap().size, 40);

    // A fork: another checkpoint of size 25 with a different root, signed with the real key.
    let mut fork = leaves.clone();
    fork[20].actor = "intruder".into();
    let fr = roots(&fork);
    let mut forked = cps.clone();
    forked.push(key.sign(ORIGIN, 25, fr[24]).text);
    let report = verify(&leaves, &forked, &[], &key);
    assert!(report.problems.iter().any(|p| p.contains("チェックポイント #4") && p.contains("分岐")), "{:?}", report.problems);

    // A truncated tail against an anchor printed earlier.
    let anchor = key.sign(ORIGIN, 40, r[39]).text;
    let report = verify(&leaves[..30], &cps[..2], std::slice::from_ref(&anchor), &key);
    assert!(report.problems.iter().any(|p| p.contains("アンカー 1") && p.contains("切り詰め")), "{:?}", report.problems);

    // An anchor inconsistent with the log.
    let report = verify(&leaves, &cps, &[key.sign(ORIGIN, 25, fr[24]).text], &key);
    assert!(report.problems.iter().any(|p| p.contains("アンカー 1") && p.contains("一致しません")), "{:?}", report.problems);

    // Time going backwards, and an unsynchronized clock: warnings, not failures.
    let mut odd = leaves.clone();
    odd[5].at = "2026-11-22T09:00:00.000+09:00".into();
    odd[7].clock_synced = false;
    let report = verify(&odd, &[key.sign(ORIGIN, 40, roots(&odd)[39]).text], &[], &key);
    assert!(report.ok(), "{:?}", report.problems);
    assert!(report.warnings.iter().any(|w| w.contains("[index 5]") && w.contains("逆行")), "{:?}", report.warnings);
    assert!(report.warnings.iter().any(|w| w.contains("[index 7]") && w.contains("時刻同期")), "{:?}", report.warnings);
}

#[test]
fn a_bundle_round_trips_and_tampering_inside_it_is_found() {
    let key = LedgerKey::generate("mamori-test").unwrap();
    let leaves = log(33);
    let r = roots(&leaves);
    let write = |leaves: &[Leaf], payload_override: Option<(usize, &str)>| -> Vec<u8> {
        let mut w = BundleWriter::new(Vec::new());
        w.line(&Line::Header {
            format: bundle::FORMAT.into(),
            origin: ORIGIN.into(),
            org_id: 1,
            public_key: key.verifying_key().text().into(),
            size: leaves.len() as u64,
            exported_at: "2026-11-22T12:00:00+09:00".into(),
        })
        .unwrap();
        for s in [16u64, 33] {
            w.line(&Line::Checkpoint {
                label: format!("チェックポイント size {s}"), text: key.sign(ORIGIN, s, r[s as usize - 1]).text
            })
            .unwrap();
        }
        let mut f = Frontier::new();
        for (i, l) in leaves.iter().enumerate() {
            let mut payload = format!("{{\"n\":{}}}", i + 1);
            if let Some((at, p)) = payload_override {
                if at == i {
                    payload = p.to_owned();
                }
            }
            w.line(&Line::Entry { index: i as u64, leaf: l.canonical(), payload: Some(payload) }).unwrap();
            let mut stored = Vec::new();
            f.append(l.hash(), &mut stored);
            for (idx, h) in stored {
                w.hash(idx, h).unwrap();
            }
        }
        w.finish().unwrap()
    };
    let good = write(&leaves, None);
    let (header, report) = bundle::verify(&good[..], Some(key.verifying_key()), &[]).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!((header.size, report.entries), (33, 33));

    let (_, report) = bundle::verify(&write(&leaves, Some((9, "{\"n\":999}")))[..], None, &[]).unwrap();
    assert!(report.problems.iter().any(|p| p.contains("[index 9]") && p.contains("payload")), "{:?}", report.problems);

    let mut edited = leaves.clone();
    edited[3].target_id = "9999".into();
    let (_, report) = bundle::verify(&write(&edited, None)[..], None, &[]).unwrap();
    assert!(report.problems.iter().any(|p| p.contains("チェックポイント size 16")), "{:?}", report.problems);

    // Pinning a different key refuses the bundle outright.
    let other = LedgerKey::generate("mamori-test").unwrap();
    assert!(matches!(bundle::verify(&good[..], Some(other.verifying_key()), &[]), Err(bundle::BundleError::KeyMismatch { .. })));
}

/// Time checks: the verifier's warnings and problems about times are those that parsing
/// every time and comparing it with the previous good one gives, whatever the mix of forms.
#[test]
fn times_are_checked_as_parsing_each_one_would() {
    let forms = [
        "2026-11-22T09:30:00.000+09:00",
        "2026-11-22T09:30:00.001+09:00",
        "2026-11-22T09:29:59.999+09:00",
        "2026-11-22T23:59:59.999+09:00",
        "2026-11-23T00:00:00.000+09:00",
        "2026-11-22T24:00:00.000+09:00",
        "2026-11-22T09:60:00.000+09:00",
        "2026-11-22T09:30:60.000+09:00",
        "2026-11-22T09:3a:00.000+09:00",
        "2026-11-22T09:30:00+09:00",
        "2026-11-22T09:30:00.5+09:00",
        "2026-11-22T00:30:00.000Z",
        "2026-11-22T09:30:00.000+0900",
        "2026-11-22t09:31:00.000+09:00",
        "2026-02-30T09:30:00.000+09:00",
        "2026-02-30T09:31:00.000+09:00",
        "2026-11-21T09:30:00.000+09:00",
        "not a time",
    ];
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for _ in 0..50 {
        let times: Vec<&str> = (0..60).map(|_| forms[(next() % forms.len() as u64) as usize]).collect();
        let key = LedgerKey::generate("mamori-test").unwrap();
        let mut v = Verifier::new(ORIGIN, key.verifying_key().clone(), Some(1));
        for (i, at) in times.iter().enumerate() {
            v.entry(i as u64, &leaf(i as u64 + 1, at).view(), None);
        }
        let report = v.finish(None);
        let (mut warnings, mut problems) = (Vec::new(), Vec::new());
        let mut prev: Option<(chrono::DateTime<chrono::FixedOffset>, &str)> = None;
        for (i, at) in times.iter().enumerate() {
            match chrono::DateTime::parse_from_rfc3339(at) {
                Ok(t) if t.offset().local_minus_utc() == 9 * 3600 => {
                    if let Some((p, p_at)) = prev {
                        if t < p {
                            warnings.push(format!("[index {i}] 時刻が逆行しています（{p_at} → {at}）"));
                        }
                    }
                    prev = Some((t, at));
                }
                _ => problems.push(format!("[index {i}] 時刻 {at} が +09:00 付きの RFC 3339 ではありません")),
            }
        }
        let time_warnings: Vec<&String> = report.warnings.iter().filter(|w| w.contains("逆行")).collect();
        assert_eq!(time_warnings, warnings.iter().collect::<Vec<_>>(), "times: {times:?}");
        let time_problems: Vec<&String> = report.problems.iter().filter(|p| p.contains("時刻")).collect();
        assert_eq!(time_problems, problems.iter().collect::<Vec<_>>(), "times: {times:?}");
        assert!(!warnings.is_empty() || !problems.is_empty());
    }
}

#[test]
fn a_span_of_stored_hashes_checks_by_its_digest_as_one_by_one() {
    use mamori_ledger::verify::stored_span_digest;
    let key = LedgerKey::generate("mamori-test").unwrap();
    let leaves = log(37);
    let mut f = Frontier::new();
    let mut stored = Vec::new();
    for l in &leaves {
        f.append(l.hash(), &mut stored);
    }
    let signed = key.sign(ORIGIN, 37, f.root()).text;
    let fed = |v: &mut Verifier| {
        v.checkpoint("チェックポイント 37", &signed);
        for (i, l) in leaves.iter().enumerate() {
            v.entry(i as u64, &l.view(), None);
        }
    };
    let digest = |from: usize, to: usize| stored_span_digest(stored[from..to].iter().map(|(_, h)| h));
    let n = stored.len();
    assert_eq!(n as u64, stored[n - 1].0 + 1, "stored hashes are numbered from 0 without a gap");

    // Spans that are the recomputed hashes pass, and count as checked.
    let mut v = Verifier::new(ORIGIN, key.verifying_key().clone(), Some(1));
    fed(&mut v);
    for (from, to) in [(0, 0), (0, 10), (10, 11), (11, n)] {
        assert!(v.stored_span(from as u64, to as u64, &digest(from, to)), "span {from}..{to}");
    }
    let report = v.finish(Some(37));
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.stored_hashes, n as u64);

    // A span whose digest differs by one bit, one that is not next, one not yet recomputed,
    // or one given backwards is refused and changes nothing: the hashes are then compared
    // one by one, which names the one that differs.
    let mut v = Verifier::new(ORIGIN, key.verifying_key().clone(), Some(1));
    fed(&mut v);
    for bit in [0usize, 7, 100, 255] {
        let mut wrong = digest(0, 20);
        wrong.0[bit / 8] ^= 1 << (bit % 8);
        assert!(!v.stored_span(0, 20, &wrong));
    }
    assert!(!v.stored_span(1, 20, &digest(1, 20)), "not the next span");
    assert!(!v.stored_span(0, n as u64 + 1, &digest(0, n)), "beyond what is recomputed");
    assert!(!v.stored_span(20, 0, &digest(0, 20)), "backwards");
    let mut edited = stored.clone();
    edited[13].1 .0[31] ^= 0x80;
    assert!(!v.stored_span(0, 20, &stored_span_digest(edited[..20].iter().map(|(_, h)| h))));
    let mut alone = Verifier::new(ORIGIN, key.verifying_key().clone(), Some(1));
    fed(&mut alone);
    for &(i, h) in &edited {
        v.stored_hash(i, h);
        alone.stored_hash(i, h);
    }
    let (report, alone) = (v.finish(Some(37)), alone.finish(Some(37)));
    assert_eq!(report.stored_hashes, n as u64);
    assert_eq!(report.problem_count, 1, "{:?}", report.problems);
    assert_eq!(report.problems, alone.problems);
}

#[test]
fn a_bundle_opens_its_checkpoints_together_as_one_by_one() {
    let key = LedgerKey::generate("mamori-test").unwrap();
    let leaves = log(40);
    let r = roots(&leaves);
    // Good checkpoints of the log, every kind of bad one, one of another origin, a line that
    // is not JSON among them, and one more after the first entry.
    let mut checkpoints: Vec<String> = [10u64, 25, 40].iter().map(|&s| key.sign(ORIGIN, s, r[s as usize - 1]).text).collect();
    checkpoints.extend(mixed_checkpoints(&key));
    checkpoints.push(key.sign("mamori-test/other", 40, r[39]).text);
    let header = Line::Header {
        format: bundle::FORMAT.into(),
        origin: ORIGIN.into(),
        org_id: 1,
        public_key: key.verifying_key().text().into(),
        size: 40,
        exported_at: "2026-12-03T09:00:00+09:00".into(),
    };
    let mut lines: Vec<String> = vec![serde_json::to_string(&header).unwrap()];
    for (i, text) in checkpoints.iter().enumerate() {
        lines.push(serde_json::to_string(&Line::Checkpoint { label: format!("チェックポイント #{i}"), text: text.clone() }).unwrap());
        if i == 150 {
            lines.push("{\"type\":\"checkpoint\",".into());
        }
    }
    let mut f = Frontier::new();
    let mut stored = Vec::new();
    for (i, l) in leaves.iter().enumerate() {
        lines.push(serde_json::to_string(&Line::Entry { index: i as u64, leaf: l.canonical(), payload: None }).unwrap());
        if i == 0 {
            lines.push(serde_json::to_string(&Line::Checkpoint { label: "後から".into(), text: key.sign(ORIGIN, 1, r[0]).text }).unwrap());
        }
        f.append(l.hash(), &mut stored);
    }
    for (idx, h) in &stored {
        lines.push(serde_json::to_string(&Line::Hash { index: *idx, hash: B64.encode(h.0) }).unwrap());
    }
    let text = lines.join("\n");
    let (_, report) = bundle::verify(text.as_bytes(), Some(key.verifying_key()), &[]).unwrap();

    // Each line fed in its turn, each checkpoint opened on its own.
    let mut v = Verifier::new(ORIGIN, key.verifying_key().clone(), Some(1));
    let mut seen_entry = false;
    for (n, line) in lines.iter().enumerate().skip(1) {
        match serde_json::from_str::<Line>(line) {
            Err(e) => v.problem(format!("[bundle {} 行目] 読めません: {e}", n + 1)),
            Ok(Line::Checkpoint { label, text }) => {
                if seen_entry {
                    v.problem(format!("[bundle {} 行目] チェックポイントは記録より前に置く必要があります", n + 1));
                }
                v.checkpoint(&label, &text);
            }
            Ok(Line::Entry { index, leaf, payload }) => {
                seen_entry = true;
                v.entry_text(index, &leaf, payload.as_deref());
            }
            Ok(Line::Hash { .. }) | Ok(Line::Header { .. }) | Ok(Line::KeyIntroduction { .. }) | Ok(Line::Cosigned { .. }) => {}
        }
    }
    for (idx, h) in stored {
        v.stored_hash(idx, h);
    }
    let alone = v.finish(Some(40));
    assert!(report.problem_count > 20, "{:?}", report.problems);
    assert!(report.problems.iter().any(|p| p.contains("読めません")));
    assert!(report.problems.iter().any(|p| p.contains("[後から]") || p.contains("記録より前")));
    assert_eq!(report.problems, alone.problems);
    assert_eq!(report.warnings, alone.warnings);
    assert_eq!(
        (report.entries, report.stored_hashes, report.checkpoints, report.problem_count),
        (alone.entries, alone.stored_hashes, alone.checkpoints, alone.problem_count)
    );
    assert_eq!(report.latest.map(|c| c.text), alone.latest.map(|c| c.text));
}
