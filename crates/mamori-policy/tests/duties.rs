//! Separation-of-duties analysis of role assignments.

use mamori_policy::bundled::bundled;
use mamori_policy::duties::{analyse, self_approval_clause, FindingKind, Holding};
use mamori_policy::parse_profile;

fn holding(person: i64, name: &str, role: &str, dept: Option<(i64, &str)>, deputy: bool) -> Holding {
    Holding {
        person_id: person,
        person_name: name.into(),
        role: role.into(),
        department_id: dept.map(|d| d.0),
        department_name: dept.map(|d| d.1.to_owned()),
        is_deputy: deputy,
    }
}

#[test]
fn sole_approvers_and_holders_who_are_their_own_deputy() {
    let p = parse_profile("shime.toml", bundled("shime").unwrap()).unwrap();
    assert_eq!(self_approval_clause(&p), "対策基準1(8)①");
    let jumin = Some((2, "住民課"));
    let zeimu = Some((3, "税務課"));
    let holdings = vec![
        holding(1, "町長", "ciso", None, false),
        holding(1, "町長", "security_director", None, false),
        holding(2, "住民課長", "security_manager", jumin, false),
        holding(3, "税務課長", "security_manager", zeimu, false),
        holding(4, "税務係長", "security_manager", zeimu, true),
    ];
    let f = analyse(&p, &holdings);
    let sole: Vec<&str> = f.iter().filter(|x| x.kind == FindingKind::SoleApprover).map(|x| x.person_names[0].as_str()).collect();
    assert!(sole.contains(&"住民課長"), "{f:#?}");
    assert!(!sole.contains(&"税務課長"), "税務課 has a deputy: {f:#?}");
    assert!(f.iter().any(|x| x.kind == FindingKind::SoleApprover && x.text.contains("住民課の情報セキュリティ管理者")), "{f:#?}");
    assert!(f.iter().all(|x| x.kind != FindingKind::SoleApprover || x.clause == "対策基準1(8)①"));
    assert!(f.iter().any(|x| x.kind == FindingKind::HolderIsOwnDeputy && x.person_names == ["町長"]), "{f:#?}");
    // Give the CISO's deputy role to someone else: that finding goes away.
    let fixed: Vec<Holding> = holdings
        .iter()
        .map(|h| if h.role == "security_director" { holding(5, "副町長", "security_director", None, false) } else { h.clone() })
        .collect();
    assert!(analyse(&p, &fixed).iter().all(|x| x.kind != FindingKind::HolderIsOwnDeputy));
}

#[test]
fn an_auditor_who_holds_an_audited_role_is_listed() {
    let text = format!(
        "{}\n[[roles]]\nid = \"audit_director\"\nname = \"情報セキュリティ監査統括責任者\"\nscope = \"organization\"\nclause = \"対策基準1(8)②\"\nprovenance = \"document\"\n",
        bundled("shime").unwrap()
    );
    let p = parse_profile("shime.toml", &text).unwrap();
    let f = analyse(
        &p,
        &[holding(7, "総務課長", "audit_director", None, false), holding(7, "総務課長", "security_manager", Some((1, "総務課")), false)],
    );
    let audit: Vec<_> = f.iter().filter(|x| x.kind == FindingKind::AuditorAudited).collect();
    assert_eq!(audit.len(), 1, "{f:#?}");
    assert!(audit[0].text.contains("情報セキュリティ管理者") && audit[0].clause == "対策基準1(8)②", "{audit:?}");
}
