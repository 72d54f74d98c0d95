//! The self-assessment checklist (自己点検): one item for every mandatory and prohibited
//! clause, as `docs/profile-format.md` says of the clause catalogue.

use crate::{Compilation, Force};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    pub clause: String,
    pub title: Option<String>,
    pub text: String,
    pub force: Force,
    /// The responsible role (glossary id); none when the subject is 職員等 or not stated.
    pub role: Option<String>,
    pub approver: Option<String>,
    pub timing: Vec<String>,
    pub line: usize,
}

/// Every mandatory and prohibited clause of the catalogue, in document order.
pub fn checklist(c: &Compilation) -> Vec<ChecklistItem> {
    c.catalogue()
        .filter(|cl| cl.force.is_checked())
        .map(|cl| ChecklistItem {
            clause: cl.id.clone(),
            title: cl.title.clone(),
            text: cl.text.clone(),
            force: cl.force,
            role: cl.role.clone(),
            approver: cl.approver.clone(),
            timing: cl.timing.clone(),
            line: cl.line,
        })
        .collect()
}
