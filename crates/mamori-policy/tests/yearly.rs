//! Fiscal years, 和暦, the once-a-year training rule, and the self-assessment checklist.

use chrono::NaiveDate;
use mamori_policy::yearly::{
    chapter_of, checklist, out_of_compliance, training_gaps, wareki_date, Answerer, Attended, Audience, FiscalYear, Gap, Trainee,
    TrainingRule, STAFF,
};
use mamori_policy::{bundled, parse_profile, Force, RoleScope};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn fiscal_year_boundaries() {
    assert_eq!(FiscalYear::of(d(2027, 3, 31)), FiscalYear(2026));
    assert_eq!(FiscalYear::of(d(2027, 4, 1)), FiscalYear(2027));
    assert_eq!(FiscalYear::of(d(2026, 4, 1)), FiscalYear(2026));
    assert_eq!(FiscalYear::of(d(2026, 1, 1)), FiscalYear(2025));
    assert_eq!(FiscalYear(2026).first_day(), d(2026, 4, 1));
    assert_eq!(FiscalYear(2026).last_day(), d(2027, 3, 31));
    assert!(FiscalYear(2026).contains(d(2027, 3, 31)));
    assert!(!FiscalYear(2026).contains(d(2027, 4, 1)));
    assert!(!FiscalYear(2026).contains(d(2026, 3, 31)));
}

#[test]
fn wareki_across_the_change_of_era() {
    assert_eq!(wareki_date(d(2019, 4, 30)), "平成31年4月30日（2019年）");
    assert_eq!(wareki_date(d(2019, 5, 1)), "令和元年5月1日（2019年）");
    assert_eq!(wareki_date(d(2020, 1, 1)), "令和2年1月1日（2020年）");
    // 2019年度 began under 平成 and is called 令和元年度; 2018年度 is 平成30年度.
    assert_eq!(FiscalYear::of(d(2019, 4, 30)).label_ja(), "令和元年度（2019年度）");
    assert_eq!(FiscalYear::of(d(2019, 3, 31)).label_ja(), "平成30年度（2018年度）");
    assert_eq!(FiscalYear(2026).label_ja(), "令和8年度（2026年度）");
    assert_eq!(FiscalYear(1988).label_ja(), "昭和63年度（1988年度）");
    assert_eq!(FiscalYear(1989).label_ja(), "平成元年度（1989年度）");
}

fn staff(joined: Option<NaiveDate>) -> Trainee {
    Trainee { joined_on: joined, fiscal_year_appointee: false, consents: Vec::new() }
}

fn all(on: NaiveDate) -> Attended {
    Attended { on, audience: Audience::AllStaff }
}

const RULE: TrainingRule = TrainingRule { new_staff_within_days: 30, previous_year_recorded: true };

#[test]
fn once_a_year_rule_on_a_given_date() {
    let veteran = staff(Some(d(2010, 4, 1)));
    // Trained in 2025年度 only.
    let trained_last_year = [all(d(2025, 6, 10))];
    // Within 2026年度, not yet trained: due, not out of compliance — up to 3/31.
    assert!(!out_of_compliance(&veteran, &trained_last_year, d(2026, 4, 1), RULE));
    assert!(!out_of_compliance(&veteran, &trained_last_year, d(2027, 3, 31), RULE));
    assert_eq!(
        training_gaps(&veteran, &trained_last_year, d(2027, 3, 31), RULE),
        vec![Gap::Yearly { year: FiscalYear(2026), due: d(2027, 3, 31), overdue: false }]
    );
    // On 4/1 2026年度 has closed without training: out of compliance until trained again.
    assert!(out_of_compliance(&veteran, &trained_last_year, d(2027, 4, 1), RULE));
    assert!(out_of_compliance(&veteran, &trained_last_year, d(2027, 9, 1), RULE));
    let made_up = [all(d(2025, 6, 10)), all(d(2027, 5, 20))];
    assert!(out_of_compliance(&veteran, &made_up, d(2027, 5, 19), RULE), "before the make-up session");
    assert!(!out_of_compliance(&veteran, &made_up, d(2027, 5, 20), RULE));
    assert!(training_gaps(&veteran, &made_up, d(2027, 5, 20), RULE).is_empty());
    // A session on 3/31 counts for the year that ends that day, not for the next.
    let last_day = [all(d(2027, 3, 31))];
    assert!(!out_of_compliance(&veteran, &last_day, d(2027, 4, 1), RULE));
    assert_eq!(
        training_gaps(&veteran, &last_day, d(2027, 4, 1), RULE),
        vec![Gap::Yearly { year: FiscalYear(2027), due: d(2028, 3, 31), overdue: false }]
    );
    // In the first year of use there is no record of the year before: nothing is overdue yet.
    let first_year = TrainingRule { previous_year_recorded: false, ..RULE };
    assert!(!out_of_compliance(&veteran, &[], d(2027, 4, 1), first_year));
    assert_eq!(
        training_gaps(&veteran, &[], d(2027, 4, 1), first_year),
        vec![Gap::Yearly { year: FiscalYear(2027), due: d(2028, 3, 31), overdue: false }]
    );
    // A future session does not count before it happens.
    assert!(out_of_compliance(&veteran, &[all(d(2027, 6, 1))], d(2027, 4, 2), RULE));
}

#[test]
fn new_staff_on_joining() {
    let newcomer = staff(Some(d(2026, 4, 1)));
    assert!(!out_of_compliance(&newcomer, &[], d(2026, 5, 1), RULE), "within 30 days of joining");
    assert!(out_of_compliance(&newcomer, &[], d(2026, 5, 2), RULE), "31 days after joining");
    // The ordinary session does not replace the new-staff one.
    assert!(out_of_compliance(&newcomer, &[all(d(2026, 4, 20))], d(2026, 5, 2), RULE));
    let trained = [Attended { on: d(2026, 4, 10), audience: Audience::NewStaff }];
    assert!(training_gaps(&newcomer, &trained, d(2026, 5, 2), RULE).is_empty(), "new-staff training counts for the year too");
    // Joining on 3/15 is too late to owe 2025年度's training; only the new-staff one is owed.
    let late = staff(Some(d(2026, 3, 15)));
    let gaps = training_gaps(&late, &[], d(2026, 4, 20), RULE);
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert!(gaps.contains(&Gap::OnJoining { joined: d(2026, 3, 15), due: d(2026, 4, 14), overdue: true }));
    assert!(gaps.contains(&Gap::Yearly { year: FiscalYear(2026), due: d(2027, 3, 31), overdue: false }));
    // Someone not yet joined owes nothing.
    assert!(training_gaps(&staff(Some(d(2026, 6, 1))), &[all(d(2025, 5, 1))], d(2026, 5, 1), RULE).is_empty());
}

#[test]
fn fiscal_year_appointees_consent_every_year() {
    let mut p = Trainee { joined_on: Some(d(2024, 4, 1)), fiscal_year_appointee: true, consents: vec![FiscalYear(2025)] };
    let trained = [all(d(2026, 4, 5))];
    assert!(!out_of_compliance(&p, &trained, d(2026, 4, 20), RULE), "the new year's consent is due within 30 days of 4/1");
    assert!(out_of_compliance(&p, &trained, d(2026, 5, 2), RULE));
    p.consents.push(FiscalYear(2026));
    assert!(!out_of_compliance(&p, &trained, d(2026, 5, 2), RULE));
}

#[test]
fn shime_checklist_holds_every_mandatory_and_prohibited_clause() {
    let text = bundled::bundled("shime").unwrap();
    let profile = parse_profile("shime.toml", text).unwrap();
    let items = checklist(&profile);
    let checked: Vec<_> = profile.clauses.iter().filter(|c| matches!(c.force, Force::Mandatory | Force::Prohibited)).collect();
    assert!(checked.len() > 400, "志免町 has hundreds of duties");
    assert_eq!(items.len(), checked.len());
    for (item, clause) in items.iter().zip(&checked) {
        assert_eq!(item.clause, clause.id.get_ref().as_str());
        assert_eq!(item.force, clause.force);
        assert_eq!(item.chapter, chapter_of(&item.clause));
        match &clause.role {
            Some(r) => {
                assert_eq!(item.role, r.get_ref().as_str());
                let scope = profile.roles.iter().find(|x| x.id.as_str() == item.role).map(|x| x.scope);
                assert_eq!(item.answerer == Answerer::Department, scope == Some(RoleScope::Department), "{}", item.clause);
            }
            None => {
                assert_eq!(item.role, STAFF);
                assert_eq!(item.answerer, Answerer::Department);
            }
        }
    }
    // 9.2(1)② is the 統括's own duty; 5.1(1)① binds every staff member.
    let by_id = |id: &str| items.iter().find(|i| i.clause == id).unwrap_or_else(|| panic!("{id} in the checklist"));
    assert_eq!(by_id("対策基準9.2(1)②").role, "security_director");
    assert_eq!(by_id("対策基準9.2(1)②").answerer, Answerer::Organization);
}
