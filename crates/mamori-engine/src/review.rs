//! What activating a new profile version would change, and whether it needs an explicit
//! confirmation: the semantic diff (`mamori_policy::diff`) and the decision matrix together.

use mamori_policy::diff::{diff, ProfileDiff};
use mamori_policy::Profile;
use sha2::{Digest, Sha256};

use crate::matrix::{compare, Matrix};
use crate::CompileError;

/// The review shown before an activation or a restore.
#[derive(Debug, Clone)]
pub struct Review {
    pub diff: ProfileDiff,
    pub matrix: Matrix,
    /// What is lost, one Japanese line each: whole rule families, and the decisions that
    /// change. Empty when nothing needs confirming.
    pub losses: Vec<String>,
}

impl Review {
    pub fn needs_confirmation(&self) -> bool {
        !self.losses.is_empty()
    }

    /// A token naming exactly these losses: the confirmation a person gives must carry it,
    /// so that a confirmation given for one diff does not pass for another.
    pub fn confirmation_token(&self) -> String {
        let mut h = Sha256::new();
        for l in &self.losses {
            h.update(l.as_bytes());
            h.update([0]);
        }
        hex::encode(&h.finalize()[..12])
    }
}

/// Reviews the change from `old` (the active version, if any) to `new`.
pub fn review(old: Option<&Profile>, new: &Profile) -> Result<Review, CompileError> {
    let Some(old) = old else {
        // A first activation loses nothing; its matrix is against itself.
        let matrix = compare(new, new)?;
        return Ok(Review { diff: diff(new, new), matrix, losses: Vec::new() });
    };
    let d = diff(old, new);
    let matrix = compare(old, new)?;
    let mut losses: Vec<String> = d
        .removed_families()
        .into_iter()
        .map(|f| {
            let n = d.family(f).map(|x| x.old_count).unwrap_or(0);
            format!("{}（{}）が{}件からなくなります", f.label_ja(), f.id(), n)
        })
        .collect();
    if !matrix.changes.is_empty() {
        losses.push(format!("判断の見本 {} 件のうち {} 件の判断が変わります", matrix.total, matrix.changes.len()));
    }
    Ok(Review { diff: d, matrix, losses })
}
