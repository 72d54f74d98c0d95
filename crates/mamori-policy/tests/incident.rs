//! Incident routing and external reports by 志免町's profile, as tables.

use std::collections::HashSet;

use chrono::NaiveDate;
use mamori_policy::incident::{self, Directory, Facts, Holder, Reason};
use mamori_policy::Profile;

fn shime() -> Profile {
    mamori_policy::parse_profile("shime.toml", mamori_policy::bundled::bundled("shime").unwrap()).unwrap()
}

// People.
const CISO: i64 = 1; // 副町長
const SOMU_KACHO: i64 = 2; // 総務課長 = 統括情報セキュリティ責任者
const JUMIN_KACHO: i64 = 3; // 住民課長 = 住民課の情報セキュリティ管理者
const JUMIN_HOSA: i64 = 4; // 住民課長補佐 = その代理
const CSIRT_A: i64 = 5;
const CSIRT_B: i64 = 6;
const ZEIMU_KACHO: i64 = 7;

// Departments: 住民課 (10) with its 係 (11); 税務課 (20); 総務課 (30).
const JUMIN: i64 = 10;
const JUMIN_KAKARI: i64 = 11;
const ZEIMU: i64 = 20;
const SOMU: i64 = 30;

/// (person, role, as deputy) rows of an expected routing.
type Told<'a> = Vec<(i64, &'a str, bool)>;
/// (report id, due date) rows of expected external reports.
type Due<'a> = Vec<(&'a str, Option<&'a str>)>;

fn holder(role: &str, person_id: i64, department_id: Option<i64>, is_deputy: bool) -> Holder {
    Holder { role: role.into(), person_id, department_id, is_deputy }
}

fn town() -> Directory {
    Directory {
        holders: vec![
            holder("ciso", CISO, None, false),
            holder("security_director", SOMU_KACHO, Some(SOMU), false),
            holder("security_manager", JUMIN_KACHO, Some(JUMIN), false),
            holder("security_manager", JUMIN_HOSA, Some(JUMIN), true),
            holder("security_manager", ZEIMU_KACHO, Some(ZEIMU), false),
            holder("security_manager", SOMU_KACHO, Some(SOMU), false),
            holder("csirt", CSIRT_A, Some(SOMU), false),
            holder("csirt", CSIRT_B, Some(SOMU), false),
        ],
        parents: [(JUMIN_KAKARI, JUMIN)].into_iter().collect(),
        absent: HashSet::new(),
    }
}

/// (person, role, as deputy) for each recipient, sorted.
fn routed(profile: &Profile, level: u32, department: i64, dir: &Directory) -> (Vec<(i64, String, bool)>, Vec<String>) {
    let roles = incident::level_roles(profile, level).unwrap_or_else(|| panic!("level {level} is in the table"));
    let r = incident::route(profile, &roles, department, dir);
    let mut people: Vec<(i64, String, bool)> = r.recipients.iter().map(|x| (x.person_id, x.role.clone(), x.as_deputy)).collect();
    people.sort();
    (people, r.unresolved)
}

fn to(list: &[(i64, &str, bool)]) -> Vec<(i64, String, bool)> {
    let mut v: Vec<(i64, String, bool)> = list.iter().map(|(p, r, d)| (*p, (*r).to_owned(), *d)).collect();
    v.sort();
    v
}

#[test]
fn each_level_reaches_exactly_the_roles_of_its_row_and_the_contact_point() {
    let p = shime();
    let dir = town();
    let csirt = [(CSIRT_A, "csirt", false), (CSIRT_B, "csirt", false)];
    let table: [(u32, i64, Told); 6] = [
        // レベル0・1: the department's 情報セキュリティ管理者 (課局長).
        (0, JUMIN, vec![(JUMIN_KACHO, "security_manager", false)]),
        (1, JUMIN, vec![(JUMIN_KACHO, "security_manager", false)]),
        (1, ZEIMU, vec![(ZEIMU_KACHO, "security_manager", false)]),
        // レベル2: 統括情報セキュリティ責任者 (総務課長).
        (2, JUMIN, vec![(SOMU_KACHO, "security_director", false)]),
        // レベル3: CISO (副町長) and 統括.
        (3, JUMIN, vec![(CISO, "ciso", false), (SOMU_KACHO, "security_director", false)]),
        // A 係 without its own holder reaches its 課's 管理者.
        (0, JUMIN_KAKARI, vec![(JUMIN_KACHO, "security_manager", false)]),
    ];
    for (level, dept, expected) in table {
        let mut expected = expected;
        expected.extend(csirt);
        let (got, unresolved) = routed(&p, level, dept, &dir);
        assert_eq!(got, to(&expected), "level {level} from department {dept}");
        assert!(unresolved.is_empty(), "level {level}: {unresolved:?}");
    }
    // The level table's rows, by role, as the profile states them.
    let roles: Vec<Vec<(String, Reason)>> = (0..=3).map(|l| incident::level_roles(&p, l).unwrap()).collect();
    assert_eq!(
        roles[3],
        vec![("ciso".into(), Reason::Level), ("security_director".into(), Reason::Level), ("csirt".into(), Reason::ContactPoint)]
    );
    assert!(incident::level_roles(&p, 4).is_none(), "志免町 has no level 4");
}

#[test]
fn an_absent_holder_is_replaced_by_the_deputy() {
    let p = shime();
    let mut dir = town();
    dir.absent.insert(JUMIN_KACHO);
    let (got, _) = routed(&p, 1, JUMIN, &dir);
    assert_eq!(got, to(&[(JUMIN_HOSA, "security_manager", true), (CSIRT_A, "csirt", false), (CSIRT_B, "csirt", false)]));

    // The CISO absent: the 統括 acts for the CISO (the role's deputy) and is told twice over,
    // once in each capacity.
    let mut dir = town();
    dir.absent.insert(CISO);
    let (got, _) = routed(&p, 3, JUMIN, &dir);
    assert_eq!(
        got,
        to(&[(SOMU_KACHO, "ciso", true), (SOMU_KACHO, "security_director", false), (CSIRT_A, "csirt", false), (CSIRT_B, "csirt", false)])
    );

    // One CSIRT member away: the other is told.
    let mut dir = town();
    dir.absent.insert(CSIRT_A);
    let (got, _) = routed(&p, 0, ZEIMU, &dir);
    assert_eq!(got, to(&[(ZEIMU_KACHO, "security_manager", false), (CSIRT_B, "csirt", false)]));

    // Holder and deputy both away and no deputy role: nobody is invented; the role is
    // reported as unresolved.
    let mut dir = town();
    dir.absent.extend([JUMIN_KACHO, JUMIN_HOSA]);
    let (got, unresolved) = routed(&p, 0, JUMIN, &dir);
    assert_eq!(got, to(&[(CSIRT_A, "csirt", false), (CSIRT_B, "csirt", false)]));
    assert_eq!(unresolved, vec!["security_manager".to_owned()]);
}

#[test]
fn escalation_follows_reports_to_and_the_profile_sets_the_time() {
    let p = shime();
    assert_eq!(incident::escalation_role(&p, "security_manager").as_deref(), Some("security_director"));
    assert_eq!(incident::escalation_role(&p, "security_director").as_deref(), Some("ciso"));
    assert_eq!(incident::escalation_role(&p, "csirt").as_deref(), Some("ciso"));
    assert_eq!(incident::escalation_role(&p, "ciso"), None);
    assert_eq!(incident::acknowledge_within_minutes(&p), 30);
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// (report id, due date) for the facts, sorted by id.
fn reports(p: &Profile, f: &Facts) -> Vec<(String, Option<String>)> {
    let mut v: Vec<(String, Option<String>)> =
        incident::external_reports(p, f, day("2026-12-01")).into_iter().map(|r| (r.id, r.due_on.map(|d| d.to_string()))).collect();
    v.sort();
    v
}

#[test]
fn each_combination_of_facts_yields_exactly_the_required_reports() {
    let p = shime();
    let personal = Facts { personal_information: true, ..Facts::default() };
    let d5 = Some("2026-12-06");
    let d30 = Some("2026-12-31");
    let d60 = Some("2027-01-30");
    let table: Vec<(&str, Facts, Due)> = vec![
        ("nothing", Facts::default(), vec![]),
        ("confirmed only", Facts { confirmed: true, ..Facts::default() }, vec![("mic_prefecture", None)]),
        ("personal information alone is not a mandatory report", personal.clone(), vec![]),
        (
            "要配慮個人情報",
            Facts { sensitive_personal_information: true, ..personal.clone() },
            vec![("ppc_final", d30), ("ppc_preliminary", d5)],
        ),
        ("財産的被害のおそれ", Facts { financial_damage: true, ..personal.clone() }, vec![("ppc_final", d30), ("ppc_preliminary", d5)]),
        ("不正の目的: 60 days", Facts { unlawful_intent: true, ..personal.clone() }, vec![("ppc_final", d60), ("ppc_preliminary", d5)]),
        ("exactly 100 people: not over 100", Facts { affected_people: Some(100), ..personal.clone() }, vec![]),
        ("101 people", Facts { affected_people: Some(101), ..personal.clone() }, vec![("ppc_final", d30), ("ppc_preliminary", d5)]),
        ("要配慮 without personal information", Facts { sensitive_personal_information: true, ..Facts::default() }, vec![]),
        ("特定個人情報 alone", Facts { specific_personal_information: true, ..Facts::default() }, vec![]),
        (
            "特定個人情報 of 101 people",
            Facts { specific_personal_information: true, affected_people: Some(101), ..Facts::default() },
            vec![("ppc_mynumber_final", d30), ("ppc_mynumber_preliminary", d5)],
        ),
        (
            "特定個人情報 with unlawful intent, also personal information",
            Facts { specific_personal_information: true, unlawful_intent: true, ..personal.clone() },
            vec![("ppc_final", d60), ("ppc_mynumber_final", d60), ("ppc_mynumber_preliminary", d5), ("ppc_preliminary", d5)],
        ),
        ("a suspected crime", Facts { suspected_crime: true, ..Facts::default() }, vec![("police", None)]),
        ("residents affected", Facts { residents_affected: true, ..Facts::default() }, vec![("press", None)]),
        (
            "everything",
            Facts {
                confirmed: true,
                personal_information: true,
                sensitive_personal_information: true,
                financial_damage: true,
                unlawful_intent: true,
                affected_people: Some(5000),
                specific_personal_information: true,
                suspected_crime: true,
                residents_affected: true,
            },
            vec![
                ("mic_prefecture", None),
                ("police", None),
                ("ppc_final", d60),
                ("ppc_mynumber_final", d60),
                ("ppc_mynumber_preliminary", d5),
                ("ppc_preliminary", d5),
                ("press", None),
            ],
        ),
    ];
    for (name, facts, expected) in table {
        let expected: Vec<(String, Option<String>)> = expected.into_iter().map(|(i, d)| (i.to_owned(), d.map(str::to_owned))).collect();
        assert_eq!(reports(&p, &facts), expected, "{name}");
    }
}

#[test]
fn a_report_names_its_addressee_law_and_clause() {
    let p = shime();
    let f = Facts { personal_information: true, unlawful_intent: true, ..Facts::default() };
    let all = incident::external_reports(&p, &f, day("2027-03-20"));
    let fin = all.iter().find(|r| r.id == "ppc_final").unwrap();
    assert_eq!(fin.addressee, "個人情報保護委員会");
    assert_eq!(fin.kind, "確報");
    assert_eq!(fin.days, Some(60));
    assert_eq!(fin.due_on, Some(day("2027-05-19")));
    assert_eq!(fin.law.as_deref(), Some("個人情報保護法第68条、同法施行規則第43条"));
    assert_eq!(fin.clause, "対策基準5.3(1)④");
    assert_eq!(fin.responsible, "csirt");
}

#[test]
fn the_incident_response_section_is_validated() {
    let text = mamori_policy::bundled::bundled("shime").unwrap();
    let bad = text
        .replace("contact_point = [\"csirt\"]", "contact_point = [\"csirtt\"]")
        .replace("acknowledge_within_minutes = 30", "acknowledge_within_minutes = 0");
    let errs = mamori_policy::parse_profile("shime.toml", &bad).unwrap_err();
    let text = errs.to_string();
    assert!(text.contains("`csirtt`"), "{text}");
    assert!(text.contains("acknowledge_within_minutes"), "{text}");
}
