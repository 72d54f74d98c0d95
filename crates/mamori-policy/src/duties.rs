//! Separation of duties (兼務の禁止, 対策基準1(8)) over role assignments: who holds roles that
//! are meant to check each other, and where a request cannot be decided by anyone but the
//! applicant. Pure: takes the assignments as values.

use std::collections::{BTreeMap, BTreeSet};

use crate::profile::{Profile, RoleScope};
use crate::workflow::{Step, Workflow, WorkflowRole};

/// One role assignment, as the analysis needs it.
#[derive(Debug, Clone)]
pub struct Holding {
    pub person_id: i64,
    pub person_name: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub is_deputy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    /// An approver role has one holder and no deputy: that person's own requests can only
    /// be decided as an exception.
    SoleApprover,
    /// One person holds a role and the role that acts for it.
    HolderIsOwnDeputy,
    /// One person audits and holds a role that is audited (対策基準1(8)②).
    AuditorAudited,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub person_names: Vec<String>,
    /// What is wrong, in Japanese.
    pub text: String,
    pub clause: String,
}

/// The clause of the profile that forbids an applicant approving their own request (its
/// workflow rule `approval.separation`, or the standard model's).
pub fn self_approval_clause(p: &Profile) -> String {
    Workflow::of(p).clause(Step::SelfApproval).to_owned()
}

fn audit_clause(p: &Profile) -> String {
    Workflow::of(p).clause(Step::AuditSeparation).to_owned()
}

/// The holders of one role in one place: (department name, {(person id, name)}).
type HolderGroup = (Option<String>, BTreeSet<(i64, String)>);

/// Every finding for these assignments, in a stable order.
pub fn analyse(p: &Profile, holdings: &[Holding]) -> Vec<Finding> {
    let mut out = Vec::new();
    let role_name = |id: &str| p.role(id).map(|r| r.name.clone()).unwrap_or_else(|| id.to_owned());
    let sod = self_approval_clause(p);

    // Approver roles with a single holder and no deputy, per department where they are
    // per-department.
    let approvers: BTreeSet<&str> = p.approval_rules.iter().map(|a| a.approver.get_ref().as_str()).collect();
    for role in approvers {
        let per_department = p.role(role).is_some_and(|r| r.scope == RoleScope::Department);
        let mut groups: BTreeMap<Option<i64>, HolderGroup> = BTreeMap::new();
        for h in holdings.iter().filter(|h| h.role == role) {
            let key = if per_department { h.department_id } else { None };
            let entry = groups.entry(key).or_insert_with(|| (h.department_name.clone(), BTreeSet::new()));
            entry.1.insert((h.person_id, h.person_name.clone()));
        }
        for (_, (dept, people)) in groups {
            if people.len() == 1 {
                let (_, name) = people.into_iter().next().expect("one");
                let place = match (per_department, dept) {
                    (true, Some(d)) => format!("{d}の"),
                    _ => String::new(),
                };
                out.push(Finding {
                    kind: FindingKind::SoleApprover,
                    person_names: vec![name.clone()],
                    text: format!(
                        "{place}{}は{name}さん一人で、代理がいません。{name}さん自身の申請は、やむを得ない場合の例外としてしか決裁できません。代理を割り当ててください",
                        role_name(role)
                    ),
                    clause: sod.clone(),
                });
            }
        }
    }

    // A person who holds a role and also the role named as its deputy.
    for r in &p.roles {
        let Some(deputy) = &r.deputy else { continue };
        let holders: BTreeMap<i64, &str> =
            holdings.iter().filter(|h| h.role == r.id.as_str()).map(|h| (h.person_id, h.person_name.as_str())).collect();
        for h in holdings.iter().filter(|h| h.role == deputy.get_ref().as_str()) {
            if let Some(name) = holders.get(&h.person_id) {
                out.push(Finding {
                    kind: FindingKind::HolderIsOwnDeputy,
                    person_names: vec![name.to_string()],
                    text: format!(
                        "{name}さんが{}と、その代理の{}を兼ねています。不在のときに代わる人がいません",
                        r.name,
                        role_name(deputy.get_ref().as_str())
                    ),
                    clause: r.clause.get_ref().to_string(),
                });
            }
        }
    }

    // Auditors who hold an audited role.
    // The roles that audit are those doing the audit director's job; every role that does
    // operational work is audited (the committee and an advisor are not).
    let job = |r: &crate::profile::Role| crate::workflow::acts_as(r);
    let auditor_roles: Vec<&str> = p.roles.iter().filter(|r| job(r) == Some(WorkflowRole::AuditDirector)).map(|r| r.id.as_str()).collect();
    let audited: BTreeSet<&str> = p
        .roles
        .iter()
        .filter(|r| !matches!(job(r), Some(WorkflowRole::AuditDirector | WorkflowRole::Committee | WorkflowRole::Advisor)))
        .map(|r| r.id.as_str())
        .collect();
    let audit = audit_clause(p);
    for a in &auditor_roles {
        for h in holdings.iter().filter(|h| h.role == *a) {
            let other: BTreeSet<String> = holdings
                .iter()
                .filter(|o| o.person_id == h.person_id && audited.contains(o.role.as_str()))
                .map(|o| role_name(&o.role))
                .collect();
            if !other.is_empty() {
                out.push(Finding {
                    kind: FindingKind::AuditorAudited,
                    person_names: vec![h.person_name.clone()],
                    text: format!(
                        "{}さんは{}で、監査を受ける{}も兼ねています",
                        h.person_name,
                        role_name(a),
                        other.into_iter().collect::<Vec<_>>().join("・")
                    ),
                    clause: audit.clone(),
                });
            }
        }
    }
    out
}
