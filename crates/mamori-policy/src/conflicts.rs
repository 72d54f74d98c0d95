//! 兼務: one post that holds two roles which the policy keeps apart.
//!
//! The model text (1(8)②) says that whoever is audited and whoever audits must not be the
//! same person, save in unavoidable cases. A profile gives posts to roles (「総務課長をもって
//! 充てる」); a post that holds an auditing role and a role the audit looks at is a conflict
//! the body should see before it runs. The check works on posts as the text names them, so it
//! is exact only where the text names the same post the same way; the body's own 兼務 clause,
//! when it has one, is cited, with whether it forbids the combination or allows it in
//! unavoidable cases.

use crate::profile::{Force, Profile};
use crate::workflow::{acts_as, WorkflowRole};

/// Jobs that audit.
const AUDITING: [WorkflowRole; 1] = [WorkflowRole::AuditDirector];

/// Jobs an information-security audit looks at.
const AUDITED: [WorkflowRole; 7] = [
    WorkflowRole::SecurityDirector,
    WorkflowRole::SecurityManager,
    WorkflowRole::SecurityOfficer,
    WorkflowRole::SystemManager,
    WorkflowRole::SystemOperator,
    WorkflowRole::Csirt,
    WorkflowRole::CloudServiceManager,
];

/// One post holding an auditing role and a role it audits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostConflict {
    pub post: String,
    /// The auditing role's id and name.
    pub auditor: (String, String),
    /// The audited role's id and name.
    pub audited: (String, String),
    /// The body's own clause on 兼務, if it has one.
    pub clause: Option<String>,
    /// Whether that clause forbids it outright (no 「やむを得ない場合を除き」).
    pub forbidden: bool,
}

impl PostConflict {
    pub fn message_ja(&self) -> String {
        let rule = match &self.clause {
            Some(c) if self.forbidden => format!("{c} は兼務を禁じています"),
            Some(c) => format!("{c} はやむを得ない場合を除き兼務を禁じています（やむを得ない理由を記録してください）"),
            None => "本文に兼務の定めはありません（標準対策基準1(8)② は、やむを得ない場合を除き兼務を禁じています）".to_owned(),
        };
        format!(
            "兼務: 「{}」が{}（{}）と{}（{}）の両方に充てられています。監査する者と監査される者が同じになります。{rule}",
            self.post, self.auditor.1, self.auditor.0, self.audited.1, self.audited.0
        )
    }
}

/// The posts as compared: without spaces, so that 「総務 課長」 and 「総務課長」 are one post.
fn post_key(post: &str) -> String {
    post.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A role as the check sees it.
pub struct RoleFacts<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub job: Option<WorkflowRole>,
    pub posts: &'a [String],
}

/// A clause as the check sees it.
pub struct ClauseFacts<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub force: Force,
}

/// The body's clause on 兼務: a clause that names it, preferring one about audits.
fn concurrency_clause(clauses: &[ClauseFacts]) -> Option<(String, bool)> {
    let mentions: Vec<&ClauseFacts> = clauses.iter().filter(|c| c.text.contains("兼務") || c.text.contains("兼ね")).collect();
    let chosen = mentions.iter().find(|c| c.text.contains("監査")).or_else(|| mentions.first())?;
    let unavoidable = chosen.text.contains("やむを得ない") || chosen.text.contains("この限りでない");
    let forbids = chosen.force == Force::Prohibited || chosen.text.contains("てはならない") || chosen.text.contains("できない");
    Some((chosen.id.to_owned(), forbids && !unavoidable))
}

/// Every post of the profile that holds an auditing role and a role the audit looks at.
pub fn post_conflicts(p: &Profile) -> Vec<PostConflict> {
    let roles: Vec<RoleFacts> =
        p.roles.iter().map(|r| RoleFacts { id: r.id.as_str(), name: &r.name, job: acts_as(r), posts: &r.posts }).collect();
    let ids: Vec<String> = p.clauses.iter().map(|c| c.id.get_ref().to_string()).collect();
    let clauses: Vec<ClauseFacts> = p.clauses.iter().zip(&ids).map(|(c, id)| ClauseFacts { id, text: &c.text, force: c.force }).collect();
    conflicts_among(&roles, &clauses)
}

/// The check on plain facts (the compiler's roles and clauses, before a profile exists).
pub fn conflicts_among(roles: &[RoleFacts], clauses: &[ClauseFacts]) -> Vec<PostConflict> {
    let jobs =
        |job_set: &[WorkflowRole]| -> Vec<&RoleFacts> { roles.iter().filter(|r| r.job.is_some_and(|j| job_set.contains(&j))).collect() };
    let clause = concurrency_clause(clauses);
    let mut out = Vec::new();
    for auditor in jobs(&AUDITING) {
        for audited in jobs(&AUDITED) {
            for post in auditor.posts {
                if audited.posts.iter().any(|q| post_key(q) == post_key(post)) {
                    out.push(PostConflict {
                        post: post.clone(),
                        auditor: (auditor.id.to_owned(), auditor.name.to_owned()),
                        audited: (audited.id.to_owned(), audited.name.to_owned()),
                        clause: clause.as_ref().map(|(c, _)| c.clone()),
                        forbidden: clause.as_ref().is_some_and(|(_, f)| *f),
                    });
                }
            }
        }
    }
    out
}
