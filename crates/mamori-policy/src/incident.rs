//! What the profile says must happen when an incident is reported: who must be told
//! (routing), where an unacknowledged notice goes next (escalation), and which outside
//! bodies must be informed by when (external reports).
//!
//! Everything here is a function of the profile and plain values. The caller supplies the
//! organization's role assignments, its department tree and who is absent today.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{Days, NaiveDate};

use crate::profile::{IncidentFact, Profile, RoleScope};

/// One role assignment, as routing needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub role: String,
    pub person_id: i64,
    /// The department the assignment is for; for an organization-wide role it is ignored.
    pub department_id: Option<i64>,
    /// A deputy (代理) of the holders of this role, acting when they are absent.
    pub is_deputy: bool,
}

/// The people and structure routing resolves roles through.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub holders: Vec<Holder>,
    /// Each department's parent, for departments that have one.
    pub parents: HashMap<i64, i64>,
    /// People absent now (leave, business trip …): their notices go to a deputy.
    pub absent: HashSet<i64>,
}

/// Why a person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// The level table names the person's role.
    Level,
    /// The person's role is the single point of contact (統一的な窓口).
    ContactPoint,
    /// A notice to someone else was not acknowledged in time.
    Escalation,
    /// CSIRT assessed the report as an incident and reports to the role CSIRT reports to
    /// (志免町 5.3(3)②: CISO に速やかに報告).
    Assessed,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Level => "level",
            Reason::ContactPoint => "contact_point",
            Reason::Escalation => "escalation",
            Reason::Assessed => "assessed",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Reason::Level => "レベル別の報告先",
            Reason::ContactPoint => "統一的な窓口",
            Reason::Escalation => "未確認のため上位へ",
            Reason::Assessed => "CSIRTがインシデントと評価",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        [Reason::Level, Reason::ContactPoint, Reason::Escalation, Reason::Assessed].into_iter().find(|r| r.as_str() == id)
    }
}

/// One person to tell, and in which capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub person_id: i64,
    /// The role the notice is for (the holder's role, also when a deputy receives it).
    pub role: String,
    /// The department whose holder this is, for department-scoped roles.
    pub department_id: Option<i64>,
    /// Received as a deputy: an assignment deputy, or the holder of the role's deputy role.
    pub as_deputy: bool,
    pub reason: Reason,
}

/// The result of routing: the people to tell, and any role nobody could be found for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routing {
    pub recipients: Vec<Recipient>,
    /// Roles with no holder and no deputy present: someone must be found by hand.
    pub unresolved: Vec<String>,
}

/// The roles a report at `level` must reach, in the profile's order: the level table's
/// roles, then the single point of contact. `None` when the level is not in the table.
pub fn level_roles(profile: &Profile, level: u32) -> Option<Vec<(String, Reason)>> {
    let row = profile.incident_levels.iter().find(|l| *l.level.get_ref() == level)?;
    let mut out: Vec<(String, Reason)> = row.report_to.iter().map(|r| (r.get_ref().to_string(), Reason::Level)).collect();
    if let Some(ir) = &profile.incident_response {
        for r in &ir.contact_point {
            if !out.iter().any(|(x, _)| x == r.get_ref().as_str()) {
                out.push((r.get_ref().to_string(), Reason::ContactPoint));
            }
        }
    }
    Some(out)
}

/// Resolves `roles` to people for an incident in `department_id`. For each role:
/// the holders present; if none is present, the assignment deputies present; if none, the
/// holders (then deputies) of the role's deputy role (統括 for the CISO). A department-scoped
/// role is looked up in the incident's department, then in each parent department.
pub fn route(profile: &Profile, roles: &[(String, Reason)], department_id: i64, dir: &Directory) -> Routing {
    let mut routing = Routing::default();
    for (role, reason) in roles {
        match resolve(profile, role, department_id, dir) {
            Some((people, dept, as_deputy)) => {
                for person_id in people {
                    if !routing.recipients.iter().any(|r| r.person_id == person_id && r.role == *role) {
                        routing.recipients.push(Recipient {
                            person_id,
                            role: role.clone(),
                            department_id: dept,
                            as_deputy,
                            reason: *reason,
                        });
                    }
                }
            }
            None => routing.unresolved.push(role.clone()),
        }
    }
    routing
}

/// The people who act for `role` now: (people, the department they hold it for, as deputy).
fn resolve(profile: &Profile, role: &str, department_id: i64, dir: &Directory) -> Option<(Vec<i64>, Option<i64>, bool)> {
    if let Some((people, dept, deputy)) = resolve_assignments(profile, role, department_id, dir) {
        return Some((people, dept, deputy));
    }
    // Nobody holding the role itself is present: the role's deputy role acts (対策基準1(2)
    // 統括情報セキュリティ責任者は CISO に事故がある場合に職務を代行する).
    let deputy_role = profile.roles.iter().find(|r| r.id.as_str() == role)?.deputy.as_ref()?;
    let (people, dept, _) = resolve_assignments(profile, deputy_role.get_ref().as_str(), department_id, dir)?;
    Some((people, dept, true))
}

fn resolve_assignments(profile: &Profile, role: &str, department_id: i64, dir: &Directory) -> Option<(Vec<i64>, Option<i64>, bool)> {
    let scope = profile.roles.iter().find(|r| r.id.as_str() == role).map(|r| r.scope).unwrap_or(RoleScope::Organization);
    let candidates = |dept: Option<i64>| -> Option<(Vec<i64>, bool)> {
        let of_role: Vec<&Holder> = dir.holders.iter().filter(|h| h.role == role && (dept.is_none() || h.department_id == dept)).collect();
        for deputy in [false, true] {
            let present: BTreeSet<i64> =
                of_role.iter().filter(|h| h.is_deputy == deputy && !dir.absent.contains(&h.person_id)).map(|h| h.person_id).collect();
            if !present.is_empty() {
                return Some((present.into_iter().collect(), deputy));
            }
        }
        None
    };
    match scope {
        RoleScope::Organization | RoleScope::System => candidates(None).map(|(p, d)| (p, None, d)),
        RoleScope::Department => {
            let mut dept = Some(department_id);
            let mut seen = HashSet::new();
            while let Some(d) = dept {
                if !seen.insert(d) {
                    break;
                }
                if let Some((p, deputy)) = candidates(Some(d)) {
                    return Some((p, Some(d), deputy));
                }
                dept = dir.parents.get(&d).copied();
            }
            None
        }
    }
}

/// The role an unacknowledged notice to `role` escalates to: the role it reports to.
pub fn escalation_role(profile: &Profile, role: &str) -> Option<String> {
    profile.roles.iter().find(|r| r.id.as_str() == role)?.reports_to.as_ref().map(|r| r.get_ref().to_string())
}

/// Minutes before an unacknowledged notice escalates (the profile's reading of 速やかに).
pub fn acknowledge_within_minutes(profile: &Profile) -> u32 {
    profile.incident_response.as_ref().map(|r| *r.acknowledge_within_minutes.get_ref()).unwrap_or(60)
}

/// The facts of an incident that decide its external reports, as recorded by CSIRT.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// CSIRT assessed it as an information security incident.
    pub confirmed: bool,
    pub personal_information: bool,
    /// 要配慮個人情報.
    pub sensitive_personal_information: bool,
    pub financial_damage: bool,
    pub unlawful_intent: bool,
    /// How many people's personal information is involved, when known.
    pub affected_people: Option<u32>,
    /// 特定個人情報 (My Number).
    pub specific_personal_information: bool,
    pub suspected_crime: bool,
    pub residents_affected: bool,
}

/// The number of people above which a leak must be reported (規則第43条第4号: 100人を超える).
pub const OVER_HUNDRED: u32 = 100;

impl Facts {
    /// The profile's facts that hold.
    pub fn set(&self) -> BTreeSet<IncidentFact> {
        let mut s = BTreeSet::new();
        let mut add = |on: bool, f: IncidentFact| {
            if on {
                s.insert(f);
            }
        };
        add(self.confirmed, IncidentFact::Confirmed);
        add(self.personal_information, IncidentFact::PersonalInformation);
        add(self.sensitive_personal_information, IncidentFact::SensitivePersonalInformation);
        add(self.financial_damage, IncidentFact::FinancialDamage);
        add(self.unlawful_intent, IncidentFact::UnlawfulIntent);
        add(self.affected_people.is_some_and(|n| n > OVER_HUNDRED), IncidentFact::OverHundredPeople);
        add(self.specific_personal_information, IncidentFact::SpecificPersonalInformation);
        add(self.suspected_crime, IncidentFact::SuspectedCrime);
        add(self.residents_affected, IncidentFact::ResidentsAffected);
        s
    }
}

/// An external report the facts require.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReport {
    /// The profile's id of the report (`ppc_preliminary` …).
    pub id: String,
    pub addressee: String,
    pub kind: String,
    /// The last day to file it; `None` when the policy gives no number of days (速やかに,
    /// or a judgement such as the press).
    pub due_on: Option<NaiveDate>,
    /// The days counted, when there is a deadline.
    pub days: Option<u32>,
    pub deadline_note: String,
    pub law: Option<String>,
    pub responsible: String,
    pub clause: String,
}

/// The external reports `facts` require, with deadlines counted from `aware_on`, the day the
/// organization learned of the situation. A report applies when any of its `when_any` facts
/// holds and all of its `when_all` facts hold; the deadline becomes
/// `deadline_days_if_unlawful_intent` when unlawful intent is suspected.
pub fn external_reports(profile: &Profile, facts: &Facts, aware_on: NaiveDate) -> Vec<DueReport> {
    let set = facts.set();
    let holds = |f: &IncidentFact| set.contains(f);
    profile
        .external_reports
        .iter()
        .filter(|r| r.when_any.iter().any(holds) && r.when_all.iter().all(holds))
        .map(|r| {
            let days = if facts.unlawful_intent { r.deadline_days_if_unlawful_intent.or(r.deadline_days) } else { r.deadline_days };
            DueReport {
                id: r.id.to_string(),
                addressee: r.addressee.clone(),
                kind: r.kind.clone(),
                due_on: days.and_then(|d| aware_on.checked_add_days(Days::new(u64::from(d)))),
                days,
                deadline_note: r.deadline_note.clone(),
                law: r.law.clone(),
                responsible: r.responsible.get_ref().to_string(),
                clause: r.clause.get_ref().to_string(),
            }
        })
        .collect()
}
