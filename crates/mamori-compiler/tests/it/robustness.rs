//! Extraction artifacts and arbitrary input: no panics, and the invariants hold.

use mamori_compiler::{compile, Force};

#[test]
fn artifacts_table() {
    // (input, clause id, force, role)
    let cases: [(&str, &str, Force, Option<&str>); 8] = [
        ("基本方針\n1 目的\n職員等は、研修を受けなければならない。", "基本方針1", Force::Structural, None),
        ("基本方針\n２ 遵守\n（１）　職員等は，規程を遵守しなければならない．", "基本方針2(1)", Force::Mandatory, None),
        ("基本方針\n1 体制\n- (1) CISO は、体制を整備\n\nしなければならない。", "基本方針1(1)", Force::Mandatory, Some("ciso")),
        ("基本方針\n1 体制\n ・ 情報システム管理者は、ログを保存してはならない。", "基本方針1", Force::Prohibited, Some("system_manager")),
        (
            "基本方針\n1 体制\n(1) 情報セキュリティ管理者は, 点検に努めなければならない.",
            "基本方針1(1)",
            Force::BestEffort,
            Some("security_manager"),
        ),
        (
            "基本方針\n1 体制\n① 統括情報セキュリティ責任者は、設定することが望ましい。",
            "基本方針1①",
            Force::Recommended,
            Some("security_director"),
        ),
        ("基本方針\n1 体制\n(ア) CISOは、調査することができる。", "基本方針1(ア)", Force::Permitted, Some("ciso")),
        ("基本方針\n1 体制\n1.1 その他\n(1) 別に定める。", "基本方針1.1(1)", Force::Structural, None),
    ];
    for (input, id, force, role) in cases {
        let c = compile("t.txt", input);
        let cl = c.clause(id).unwrap_or_else(|| panic!("{input:?}: no {id} in {:?}", c.clauses.iter().map(|c| &c.id).collect::<Vec<_>>()));
        assert_eq!((cl.force, cl.role.as_deref()), (force, role), "{input:?}");
        c.draft_profile().unwrap_or_else(|e| panic!("{input:?}: {e}"));
    }
}

/// A small deterministic generator (xorshift) so the test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn pseudo_random_inputs_never_panic() {
    const PIECES: [&str; 40] = [
        "1 ",
        "4.1 ",
        "(1) ",
        "（１）",
        "①",
        "(ア) ",
        "ア ",
        "第3条 ",
        "２　",
        "附則",
        "附 則",
        "(趣旨)",
        "- ",
        " - ・ ",
        "・",
        "※",
        "■ ",
        "<図>",
        "\t",
        "\n",
        "\n\n",
        "。",
        "、",
        "，",
        "．",
        "は、",
        "しなければならない",
        "してはならない",
        "ことができる",
        "情報セキュリティ管理者",
        "CISO",
        "の許可を得",
        "場合",
        "次の事項を",
        "基本方針",
        "情報セキュリティ対策基準\n",
        "目次\n",
        ".....3\n",
        "レベル1\t被害\tCISO",
        "自治体機密性3A\t基準\t<ul> 暗号化 廃棄",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let mut text = String::new();
        for _ in 0..(rng.next() % 40) {
            let piece = PIECES[(rng.next() % PIECES.len() as u64) as usize];
            text.push_str(piece);
            if rng.next().is_multiple_of(7) {
                // Multi-byte characters at random places, to catch byte-index slicing.
                text.push(['㉑', '𠮷', 'ｱ', '\u{3000}', 'é', '\r'][(rng.next() % 6) as usize]);
            }
        }
        let c = compile("fuzz.txt", &text);
        let _ = c.report_markdown();
        let _ = c.checklist();
        if let Err(e) = c.draft_profile() {
            panic!("the draft of {text:?} does not load: {e}\n{}", c.draft_toml());
        }
        let uses = c.line_uses();
        for (i, u) in uses.iter().enumerate() {
            assert!(u.len() <= 1, "{text:?}: line {} claimed twice: {u:?}", i + 1);
        }
    }
}
