//! 兼務: a post holding the audit director's role and a role the audit looks at is reported,
//! with the body's own 兼務 clause.

use mamori_policy::conflicts::post_conflicts;

fn shime_with(extra: &str) -> mamori_policy::Profile {
    let text = mamori_policy::bundled::bundled("shime").expect("bundled");
    // Roles must come before the clause catalogue's tables only by TOML rules of arrays of
    // tables, which allow them anywhere: append.
    let text = format!("{text}\n{extra}");
    mamori_policy::parse_profile("shime-plus.toml", &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_bundled_profiles_have_no_conflict() {
    for (id, file, text) in mamori_policy::bundled::BUNDLED {
        let p = mamori_policy::parse_profile(file, text).expect("loads");
        assert!(post_conflicts(&p).is_empty(), "{id}: {:?}", post_conflicts(&p));
    }
}

#[test]
fn an_audit_director_who_is_also_the_director_is_reported_with_the_text_s_clause() {
    let p = shime_with(
        "[[roles]]\nid = \"audit_director\"\nname = \"情報セキュリティ監査統括責任者\"\nscope = \"organization\"\nposts = [\"総務 課長\"]\nclause = \"対策基準1(2)①\"\nprovenance = \"document\"\n",
    );
    let found = post_conflicts(&p);
    assert_eq!(found.len(), 1, "{found:?}");
    let c = &found[0];
    assert_eq!(c.auditor.0, "audit_director");
    assert_eq!(c.audited.0, "security_director");
    assert_eq!(c.clause.as_deref(), Some("対策基準1(8)②"), "志免町's own 兼務 clause on audits");
    assert!(!c.forbidden, "志免町's clause allows it in unavoidable cases");
    let message = c.message_ja();
    assert!(message.contains("総務") && message.contains("やむを得ない場合を除き"), "{message}");
}
