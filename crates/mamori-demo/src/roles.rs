//! Who holds which of the profile's roles in the demo organization.
//!
//! A role is given to people by the job it does in mamori's workflows (`acts_as`), never by
//! its id: the CISO's job goes to the deputy head (副町長, 副市長, the 組合's 事務局長), the
//! 統括's to the 総務課長, a department's 管理者's to each 課長 (and 部長 for a 部), the
//! 担当者's to the 係長 and the heads of facilities, CSIRT's to the 情報係, the audit
//! director's to someone outside the audited departments (the 監査委員事務局, else the
//! 会計課). When several roles do one job, their `posts` tell them apart (a 部長-level
//! 情報セキュリティ責任者 and a 課長-level 管理者); a role that does no job the demo knows is
//! given by its `posts` when one names a demo post, and otherwise is left unassigned and
//! reported.

use std::collections::HashSet;

use mamori_policy::workflow::{acts_as, StepKind, Workflow, WorkflowRole};
use mamori_policy::{Profile, Role, RoleScope};

use crate::charts::{Chart, Seat};
use crate::{data, DeptPlan, StaffPlan};

/// One role assignment to make: (profile role id, index into the staff, department id).
pub(crate) type Assignment = (String, usize, Option<i64>);

/// A role nobody holds in the demo, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnassignedRole {
    pub role: String,
    pub name: String,
    /// In Japanese, for the demo's output.
    pub reason: String,
}

/// The demo organization as the roles see it.
pub(crate) struct Org<'a> {
    pub chart: &'static Chart,
    pub depts: &'a [DeptPlan],
    pub staff: &'a [StaffPlan],
}

impl Org<'_> {
    fn dept(&self, code: &str) -> Option<usize> {
        self.depts.iter().position(|d| d.code == code)
    }

    pub fn head_of(&self, dept: usize) -> Option<usize> {
        self.staff.iter().position(|p| p.dept == dept && p.post == self.depts[dept].head_post)
    }

    fn with_post(&self, post: &str) -> Option<usize> {
        self.staff.iter().position(|p| p.post == post)
    }

    fn seat(&self, seat: Seat) -> Option<usize> {
        match seat {
            Seat::Post(post) => self.with_post(post),
            Seat::HeadOf(code) => self.head_of(self.dept(code)?),
        }
    }

    /// The 総務課長.
    fn somu_head(&self) -> Option<usize> {
        self.head_of(self.dept(data::SOMU)?)
    }

    /// The head of the 部 the 総務課 belongs to (総務部長; the 組合's 事務局長).
    fn somu_bureau_head(&self) -> Option<usize> {
        self.head_of(self.depts[self.dept(data::SOMU)?].parent?)
    }

    /// The 情報係's CSIRT: its 係長 and regular staff, four at most.
    pub fn joho_staff(&self) -> Vec<usize> {
        let Some(joho) = self.dept(data::JOHO) else { return Vec::new() };
        (0..self.staff.len())
            .filter(|&i| self.staff[i].dept == joho && (self.staff[i].post == "係長" || self.staff[i].employment == "regular"))
            .take(4)
            .collect()
    }

    /// The holders a role's `posts` name: a post of the demo (副市長, 係長 …), or the head of a
    /// department named with 長 (総務課長). An organization-wide role goes to the first such
    /// person, the others to each, in their own department.
    fn by_posts(&self, role: &Role) -> Vec<(usize, Option<i64>)> {
        for post in &role.posts {
            let holders: Vec<usize> = if self.chart.posts.iter().any(|(p, _)| p == post) {
                (0..self.staff.len()).filter(|&i| self.staff[i].post == post).collect()
            } else if let Some(dept) = post.strip_suffix('長').and_then(|name| self.depts.iter().position(|d| d.name == name)) {
                self.head_of(dept).into_iter().collect()
            } else {
                Vec::new()
            };
            if holders.is_empty() {
                continue;
            }
            return match role.scope {
                RoleScope::Organization => vec![(holders[0], None)],
                _ => holders.into_iter().map(|i| (i, Some(self.depts[self.staff[i].dept].id))).collect(),
            };
        }
        Vec::new()
    }
}

/// Whose role assignments these are, and which roles the systems' loop gives.
pub(crate) struct RolePlan {
    pub assignments: Vec<Assignment>,
    /// The roles whose holders are picked per system (manager, operator): the first role doing
    /// each job.
    pub system_manager: Option<String>,
    pub system_operator: Option<String>,
    /// Roles left for after the systems (they go last, so that the 町 keeps the order of its
    /// role assignments): audit directors, committees, roles given by their posts.
    later: Vec<Assignment>,
    pub unassigned: Vec<UnassignedRole>,
}

/// A 管理者-like role's level by its posts: the 部 or the 課.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Bureau,
    Section,
    Unknown,
}

fn level(role: &Role) -> Level {
    let says = |w: &str| role.posts.iter().any(|p| p.contains(w));
    if role.posts.iter().any(|p| (p.contains("部長") || p.contains("局長")) && !p.contains("課局長")) {
        Level::Bureau
    } else if says("課長") || says("課局長") || says("所属長") {
        Level::Section
    } else {
        Level::Unknown
    }
}

fn unassigned(role: &Role, reason: &str) -> UnassignedRole {
    UnassignedRole { role: role.id.to_string(), name: role.name.clone(), reason: reason.to_owned() }
}

const NO_SEAT: &str = "この役割に当たる職がデモの組織にないため、割り当てていません";
const BY_POSTS_NONE: &str = "同じ仕事をする役割が先に割り当てられ、充て職（posts）もデモの職と対応しないため、割り当てていません";

/// Plans the role assignments of every profile role but the per-system ones, which the
/// systems' loop adds.
pub(crate) fn plan(profile: &Profile, org: &Org) -> RolePlan {
    let doing = |job: WorkflowRole| -> Vec<&Role> { profile.roles.iter().filter(|r| acts_as(r) == Some(job)).collect() };
    let mut out =
        RolePlan { assignments: Vec::new(), system_manager: None, system_operator: None, later: Vec::new(), unassigned: Vec::new() };
    let id_of = |d: usize| org.depts[d].id;

    // Organization-wide jobs held by one person: the first role goes to the job's usual
    // seat, a further role to its posts or the next seat.
    let one_person = |roles: Vec<&Role>, seats: Vec<Option<usize>>, out: &mut RolePlan| {
        let mut seats = seats.into_iter().flatten().collect::<Vec<_>>();
        seats.dedup();
        for (k, role) in roles.into_iter().enumerate() {
            let posts = if k > 0 { org.by_posts(role) } else { Vec::new() };
            if let Some(&(who, _)) = posts.first() {
                out.assignments.push((role.id.to_string(), who, None));
            } else if let Some(&who) = seats.get(k) {
                out.assignments.push((role.id.to_string(), who, None));
            } else {
                out.unassigned.push(unassigned(role, if k == 0 { NO_SEAT } else { BY_POSTS_NONE }));
            }
        }
    };
    one_person(doing(WorkflowRole::Ciso), vec![org.seat(org.chart.ciso), org.somu_bureau_head()], &mut out);
    one_person(doing(WorkflowRole::SecurityDirector), vec![org.somu_head(), org.somu_bureau_head()], &mut out);

    // 情報セキュリティ管理者: the 課長 for the 課 and everything under it, the 部長 for the 部.
    // With a 部-level and a 課-level role, each takes its own level (and the 部-level one also
    // the 課 directly under the head, which have no 部).
    let managers = doing(WorkflowRole::SecurityManager);
    if !managers.is_empty() {
        let section_role = managers
            .iter()
            .position(|r| level(r) == Level::Section)
            .or_else(|| managers.iter().position(|r| level(r) == Level::Unknown))
            .unwrap_or(0);
        let bureau_role = managers
            .iter()
            .enumerate()
            .position(|(k, r)| k != section_role && level(r) == Level::Bureau)
            .or_else(|| managers.iter().enumerate().position(|(k, r)| k != section_role && level(r) == Level::Unknown));
        let id = |k: usize| managers[k].id.to_string();
        for (i, d) in org.depts.iter().enumerate() {
            let (role, holder) = match d.section {
                Some(s) => (id(section_role), org.head_of(s)),
                None => (id(bureau_role.unwrap_or(section_role)), org.head_of(i)),
            };
            if let Some(h) = holder {
                out.assignments.push((role, h, Some(id_of(i))));
            }
        }
        // A 課 directly under the head has no 部 above it: its 課長 is at both levels.
        if let Some(b) = bureau_role {
            for (i, d) in org.depts.iter().enumerate().filter(|(i, d)| d.section == Some(*i) && d.parent.is_none()) {
                if let Some(h) = org.head_of(i) {
                    out.assignments.push((id(b), h, Some(d.id)));
                }
            }
        }
        for (k, role) in managers.iter().enumerate() {
            if k != section_role && Some(k) != bureau_role {
                by_posts_or_report(role, org, &mut out);
            }
        }
    }

    // 情報セキュリティ担当者: 係長, and the heads of schools, nurseries and facilities; with two
    // roles, the one whose posts name the 係長 takes those and the other the facilities.
    let officers = doing(WorkflowRole::SecurityOfficer);
    if !officers.is_empty() {
        let unit_role = officers.iter().position(|r| r.posts.iter().any(|p| p.contains("係長"))).unwrap_or(0);
        let facility_role = officers.iter().enumerate().position(|(k, _)| k != unit_role);
        for (i, p) in org.staff.iter().enumerate() {
            let d = &org.depts[p.dept];
            let facility = matches!(d.kind, "school" | "nursery" | "facility") && p.post == d.head_post;
            let role = match (facility, facility_role) {
                (true, Some(f)) => f,
                _ => unit_role,
            };
            if p.post == "係長" || facility {
                out.assignments.push((officers[role].id.to_string(), i, Some(d.id)));
            }
        }
        for (k, role) in officers.iter().enumerate() {
            if k != unit_role && Some(k) != facility_role {
                by_posts_or_report(role, org, &mut out);
            }
        }
    }

    // CSIRT: the 情報係.
    let csirt = doing(WorkflowRole::Csirt);
    let joho = org.joho_staff();
    for (k, role) in csirt.iter().enumerate() {
        if k == 0 && !joho.is_empty() {
            out.assignments.extend(joho.iter().map(|&p| (role.id.to_string(), p, None)));
        } else {
            by_posts_or_report(role, org, &mut out);
        }
    }

    // Per system, in the systems' loop; further roles doing those jobs by their posts.
    let system_managers = doing(WorkflowRole::SystemManager);
    let system_operators = doing(WorkflowRole::SystemOperator);
    out.system_manager = system_managers.first().map(|r| r.id.to_string());
    out.system_operator = system_operators.first().map(|r| r.id.to_string());
    for role in system_managers.iter().skip(1).chain(system_operators.iter().skip(1)) {
        by_posts_later(role, org, &mut out);
    }

    // The audit director audits every department, so sits outside them: the 監査委員事務局,
    // else the 会計課.
    let audit_seats: Vec<Option<usize>> = ["0701", "0501"].iter().map(|c| org.dept(c).and_then(|d| org.head_of(d))).collect();
    let mut later =
        RolePlan { assignments: Vec::new(), system_manager: None, system_operator: None, later: Vec::new(), unassigned: Vec::new() };
    one_person(doing(WorkflowRole::AuditDirector), audit_seats, &mut later);
    out.later.extend(later.assignments);
    out.unassigned.extend(later.unassigned);

    // A committee is a meeting, an advisor an outside expert, a cloud service manager named
    // per service when it is approved: nobody holds them in the demo unless their posts say
    // who (a committee is given to the 課長 later if a workflow step needs it).
    for (job, reason) in [
        (WorkflowRole::Committee, "会議体のため割り当てていません（課長等が構成員）"),
        (WorkflowRole::Advisor, "外部の専門家が務める役割のため、割り当てていません"),
        (WorkflowRole::CloudServiceManager, "クラウドサービスの利用承認時に指名する役割のため、割り当てていません"),
    ] {
        for role in doing(job) {
            let posts = org.by_posts(role);
            if posts.is_empty() {
                out.unassigned.push(unassigned(role, reason));
            } else {
                out.later.extend(posts.into_iter().map(|(who, dept)| (role.id.to_string(), who, dept)));
            }
        }
    }

    // Roles that do no job mamori knows: by their posts.
    for role in profile.roles.iter().filter(|r| acts_as(r).is_none()) {
        let posts = org.by_posts(role);
        if posts.is_empty() {
            out.unassigned
                .push(unassigned(role, "mamoriの仕事（acts_as）がなく、充て職（posts）もデモの職と対応しないため、割り当てていません"));
        } else {
            out.later.extend(posts.into_iter().map(|(who, dept)| (role.id.to_string(), who, dept)));
        }
    }
    out
}

fn by_posts_or_report(role: &Role, org: &Org, out: &mut RolePlan) {
    let posts = org.by_posts(role);
    if posts.is_empty() {
        out.unassigned.push(unassigned(role, BY_POSTS_NONE));
    } else {
        out.assignments.extend(posts.into_iter().map(|(who, dept)| (role.id.to_string(), who, dept)));
    }
}

fn by_posts_later(role: &Role, org: &Org, out: &mut RolePlan) {
    let posts = org.by_posts(role);
    if posts.is_empty() {
        out.unassigned.push(unassigned(role, BY_POSTS_NONE));
    } else {
        out.later.extend(posts.into_iter().map(|(who, dept)| (role.id.to_string(), who, dept)));
    }
}

impl RolePlan {
    /// Adds the roles planned for after the systems, then makes sure every permission step
    /// of the profile's workflow has a holder: a step only a committee may take gives the
    /// committee to the 課長 (its usual members). Returns the steps still without a holder.
    pub fn finish(&mut self, profile: &Profile, org: &Org) -> Vec<mamori_policy::workflow::Step> {
        self.assignments.append(&mut self.later);
        let workflow = Workflow::of(profile);
        let mut uncovered = Vec::new();
        for rule in workflow.rules() {
            if !matches!(rule.step.kind(), StepKind::Permission { .. }) || rule.administrators {
                continue;
            }
            if self.assignments.iter().any(|(role, _, _)| rule.roles.contains(role)) {
                continue;
            }
            let committee: Vec<&String> =
                rule.roles.iter().filter(|r| profile.role(r).and_then(acts_as) == Some(WorkflowRole::Committee)).collect();
            if let Some(role) = committee.first() {
                let heads: Vec<usize> =
                    (0..org.depts.len()).filter(|&d| org.depts[d].kind == "section").filter_map(|d| org.head_of(d)).collect();
                self.assignments.extend(heads.into_iter().map(|h| (role.to_string(), h, None)));
                self.unassigned.retain(|u| &&u.role != role);
                continue;
            }
            uncovered.push(rule.step);
        }
        let mut seen = HashSet::new();
        self.assignments.retain(|a| seen.insert(a.clone()));
        uncovered
    }
}
