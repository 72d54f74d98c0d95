//! The yearly cycle, pure: fiscal years (年度), the training rule (every staff member at
//! least once per fiscal year, new staff on joining, 対策基準5.2(2)②③), the consent of
//! 会計年度任用職員, and the self-assessment checklist taken from a profile's clause
//! catalogue (対策基準9.2).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::{Force, Profile, RoleScope};

/// A Japanese fiscal year (年度), named by the calendar year it starts in: 2026年度 runs
/// from 2026-04-01 to 2027-03-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FiscalYear(pub i32);

impl FiscalYear {
    pub fn of(date: NaiveDate) -> Self {
        if date.month() >= 4 {
            FiscalYear(date.year())
        } else {
            FiscalYear(date.year() - 1)
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 4, 1).expect("April 1st exists")
    }

    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 3, 31).expect("March 31st exists")
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        FiscalYear::of(date) == self
    }

    pub fn previous(self) -> Self {
        FiscalYear(self.0 - 1)
    }

    /// `令和8年度（2026年度）`. A fiscal year takes the era in force at the end of the
    /// calendar year it starts in, as the government names them: 2019年度 is 令和元年度
    /// (although it began under 平成), 1988年度 is 昭和63年度.
    pub fn label_ja(self) -> String {
        let dec31 = NaiveDate::from_ymd_opt(self.0, 12, 31).expect("December 31st exists");
        let (era, year) = era(dec31);
        let year = if year == 1 { "元".to_owned() } else { year.to_string() };
        format!("{era}{year}年度（{}年度）", self.0)
    }
}

/// The era name and year of a date: 令和 from 2019-05-01, 平成 from 1989-01-08, 昭和 before.
pub fn era(date: NaiveDate) -> (&'static str, i32) {
    let reiwa = NaiveDate::from_ymd_opt(2019, 5, 1).expect("valid date");
    let heisei = NaiveDate::from_ymd_opt(1989, 1, 8).expect("valid date");
    if date >= reiwa {
        ("令和", date.year() - 2018)
    } else if date >= heisei {
        ("平成", date.year() - 1988)
    } else {
        ("昭和", date.year() - 1925)
    }
}

/// `令和8年11月22日（2026年）`; the first year of an era is written 元年.
pub fn wareki_date(date: NaiveDate) -> String {
    let (name, year) = era(date);
    let year = if year == 1 { "元".to_owned() } else { year.to_string() };
    format!("{name}{year}年{}月{}日（{}年）", date.month(), date.day(), date.year())
}

// ---------------------------------------------------------------------------------------
// Training

/// Who a training session is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Audience {
    /// 全職員等: counts for the yearly rule.
    AllStaff,
    /// 新規採用職員等: counts for the rule on joining and for the yearly rule.
    NewStaff,
    /// The holders of one role (`security_manager` …), by their responsibilities (5.2(2)④):
    /// counts for the yearly rule of those who attend.
    Role(String),
}

impl Audience {
    /// `all_staff`, `new_staff` or `role:<id>`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "all_staff" => Some(Audience::AllStaff),
            "new_staff" => Some(Audience::NewStaff),
            _ => text
                .strip_prefix("role:")
                .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .map(|r| Audience::Role(r.to_owned())),
        }
    }

    pub fn code(&self) -> String {
        match self {
            Audience::AllStaff => "all_staff".into(),
            Audience::NewStaff => "new_staff".into(),
            Audience::Role(r) => format!("role:{r}"),
        }
    }
}

/// How the training rule is read; the defaults are 志免町's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingRule {
    /// New staff are to take the new-staff training within this many days of joining.
    pub new_staff_within_days: u32,
    /// Whether attendance was recorded in the previous fiscal year at all. When it was not
    /// (mamori came into use this year), no record is not a missed year.
    pub previous_year_recorded: bool,
}

impl Default for TrainingRule {
    fn default() -> Self {
        TrainingRule { new_staff_within_days: 30, previous_year_recorded: true }
    }
}

/// One attendance of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attended {
    pub on: NaiveDate,
    pub audience: Audience,
}

/// A staff member as the training rule sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trainee {
    pub joined_on: Option<NaiveDate>,
    /// 会計年度任用職員: appointed per fiscal year, consents to the policy each year.
    pub fiscal_year_appointee: bool,
    /// The fiscal years with a recorded consent.
    pub consents: Vec<FiscalYear>,
}

/// One thing a person still owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Gap {
    /// No training in `year`; due by its last day.
    Yearly { year: FiscalYear, due: NaiveDate, overdue: bool },
    /// Joined on `joined`, no new-staff training since; due `due`.
    OnJoining { joined: NaiveDate, due: NaiveDate, overdue: bool },
    /// A 会計年度任用職員 without a recorded consent for `year`.
    Consent { year: FiscalYear, overdue: bool },
}

impl Gap {
    pub fn overdue(&self) -> bool {
        match self {
            Gap::Yearly { overdue, .. } | Gap::OnJoining { overdue, .. } | Gap::Consent { overdue, .. } => *overdue,
        }
    }

    /// The gap in words, citing `yearly` (the profile's clause for the yearly training) or
    /// `on_joining` (for new staff).
    pub fn describe_ja(&self, yearly: &str, on_joining: &str) -> String {
        match self {
            Gap::Yearly { year, due, overdue } => {
                if *overdue {
                    format!(
                        "{}の情報セキュリティ研修を受講していません（期限 {} を過ぎています、{yearly}）",
                        year.label_ja(),
                        wareki_date(*due)
                    )
                } else {
                    format!("{}の情報セキュリティ研修が未受講です（期限 {}、{yearly}）", year.label_ja(), wareki_date(*due))
                }
            }
            Gap::OnJoining { joined, due, overdue } => format!(
                "新規採用職員等の研修が{}です（採用 {}、期限 {}、{on_joining}）",
                if *overdue { "期限を過ぎて未受講" } else { "未受講" },
                wareki_date(*joined),
                wareki_date(*due)
            ),
            Gap::Consent { year, .. } => {
                format!("{}の情報セキュリティポリシー遵守の同意が記録されていません（会計年度任用職員）", year.label_ja())
            }
        }
    }
}

/// What `person` owes on `today` given their attendances. A year without training stays a
/// gap — overdue — until the person attends again: someone who missed 2026年度 is out of
/// compliance on 2027-04-01 and until their next training. A person who joined too late in a
/// year to be trained within it (`joined + new_staff_within_days` after its last day) owes
/// only the new-staff training for that year.
pub fn training_gaps(person: &Trainee, attended: &[Attended], today: NaiveDate, rule: TrainingRule) -> Vec<Gap> {
    let mut gaps = Vec::new();
    let year = FiscalYear::of(today);
    let window = chrono::Days::new(u64::from(rule.new_staff_within_days));
    let trained_in = |y: FiscalYear| attended.iter().any(|a| y.contains(a.on) && a.on <= today);
    let owes_year = |y: FiscalYear| match person.joined_on {
        Some(j) => j + window <= y.last_day() && j <= today,
        None => true,
    };
    // Last year, if missed and not made up since.
    let last = year.previous();
    if rule.previous_year_recorded && owes_year(last) && !trained_in(last) && !trained_in(year) {
        gaps.push(Gap::Yearly { year: last, due: last.last_day(), overdue: true });
    }
    if owes_year(year) && !trained_in(year) {
        gaps.push(Gap::Yearly { year, due: year.last_day(), overdue: false });
    }
    if let Some(joined) = person.joined_on {
        // The rule on joining looks back one year: older arrivals are covered by the yearly rule.
        if joined <= today && today < joined + chrono::Days::new(366) {
            let took = attended.iter().any(|a| a.audience == Audience::NewStaff && a.on >= joined && a.on <= today);
            if !took {
                let due = joined + window;
                gaps.push(Gap::OnJoining { joined, due, overdue: today > due });
            }
        }
    }
    if person.fiscal_year_appointee && !person.consents.contains(&year) {
        // Due on appointment: within the window from the year's first day or the joining day.
        let from = person.joined_on.filter(|j| *j >= year.first_day()).unwrap_or(year.first_day());
        let overdue = today > from + window;
        gaps.push(Gap::Consent { year, overdue });
    }
    gaps
}

/// Whether the person is out of compliance on `today` (owes something past its date).
pub fn out_of_compliance(person: &Trainee, attended: &[Attended], today: NaiveDate, rule: TrainingRule) -> bool {
    training_gaps(person, attended, today, rule).iter().any(Gap::overdue)
}

// ---------------------------------------------------------------------------------------
// Self-assessment checklist

/// Who answers a checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answerer {
    /// One answer for the organization, by the holders of the role (or the 統括).
    Organization,
    /// One answer per department, by its 情報セキュリティ管理者: duties of a
    /// department-scoped role, and duties of every 職員等 (no role named).
    Department,
}

/// One self-assessment item a profile's clause yields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistEntry {
    pub clause: String,
    /// The chapter it rolls up into (`対策基準6`, `基本方針5`).
    pub chapter: String,
    pub text: String,
    pub force: Force,
    /// The responsible role; `staff` for duties of every 職員等.
    pub role: String,
    pub answerer: Answerer,
}

/// The role id used for clauses that bind every staff member.
pub const STAFF: &str = "staff";

/// The chapter of a clause id: the document and the first number (`対策基準6.1(4)②` →
/// `対策基準6`, `第12条第2項` → `第12条`).
pub fn chapter_of(clause: &str) -> String {
    let start = clause.char_indices().find(|(_, c)| c.is_ascii_digit() || *c == '第' || *c == '(').map(|(i, _)| i).unwrap_or(clause.len());
    let (doc, rest) = clause.split_at(start);
    if let Some(after) = rest.strip_prefix('第') {
        let n = after.find('条').map(|i| i + '条'.len_utf8()).unwrap_or(after.len());
        return format!("{doc}第{}", &after[..n]);
    }
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    format!("{doc}{digits}")
}

/// Every mandatory and prohibited clause of the profile's catalogue, in catalogue order,
/// with its responsible role: the self-assessment checklist (9.2) and the audit checklist.
pub fn checklist(profile: &Profile) -> Vec<ChecklistEntry> {
    profile
        .clauses
        .iter()
        .filter(|c| c.force.is_checked())
        .map(|c| {
            let role = c.role.as_ref().map(|r| r.get_ref().as_str().to_owned());
            let scope = role.as_deref().and_then(|r| profile.roles.iter().find(|x| x.id.as_str() == r)).map(|r| r.scope);
            let answerer = match (&role, scope) {
                (None, _) | (Some(_), Some(RoleScope::Department)) => Answerer::Department,
                _ => Answerer::Organization,
            };
            let id = c.id.get_ref().as_str();
            ChecklistEntry {
                clause: id.to_owned(),
                chapter: chapter_of(id),
                text: c.text.clone(),
                force: c.force,
                role: role.unwrap_or_else(|| STAFF.to_owned()),
                answerer,
            }
        })
        .collect()
}

/// The answers of a self-assessment item.
pub const ANSWERS: &[(&str, &str)] = &[("done", "実施"), ("partly", "一部実施"), ("not_done", "未実施"), ("not_applicable", "該当なし")];

pub fn answer_label(code: &str) -> &'static str {
    ANSWERS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("未回答")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters() {
        assert_eq!(chapter_of("対策基準6.1(4)②"), "対策基準6");
        assert_eq!(chapter_of("対策基準4.3①"), "対策基準4");
        assert_eq!(chapter_of("基本方針5"), "基本方針5");
        assert_eq!(chapter_of("第12条第2項"), "第12条");
    }

    #[test]
    fn audiences_round_trip() {
        for a in [Audience::AllStaff, Audience::NewStaff, Audience::Role("security_manager".into())] {
            assert_eq!(Audience::parse(&a.code()), Some(a));
        }
        assert_eq!(Audience::parse("role:"), None);
        assert_eq!(Audience::parse("role:X; DROP"), None);
        assert_eq!(Audience::parse("everyone"), None);
    }
}
