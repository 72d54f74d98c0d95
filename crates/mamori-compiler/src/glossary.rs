//! The vocabulary of municipal policies: role names and the ids the bundled profiles use,
//! the executive bodies, the network zones.

use std::sync::LazyLock;

use mamori_policy::RoleScope;

pub struct RoleTerm {
    pub id: &'static str,
    pub name: &'static str,
    /// Other spellings that name the same role as a subject (`CISO`).
    pub aliases: &'static [&'static str],
    pub abbreviation: Option<&'static str>,
    pub scope: RoleScope,
    pub reports_to: Option<&'static str>,
    pub requires_mfa: bool,
    /// The clause of the standard model text (志免町's numbering) that sets the role up.
    pub standard_clause: &'static str,
}

/// Longest names first, so that 統括情報セキュリティ責任者 is not read as 情報セキュリティ責任者.
pub const ROLES: [RoleTerm; 11] = [
    RoleTerm {
        id: "audit_director",
        name: "情報セキュリティ監査統括責任者",
        aliases: &[],
        abbreviation: None,
        scope: RoleScope::Organization,
        reports_to: Some("ciso"),
        requires_mfa: false,
        standard_clause: "標準対策基準1(8)",
    },
    RoleTerm {
        id: "advisor",
        name: "最高情報セキュリティアドバイザー",
        aliases: &[],
        abbreviation: None,
        scope: RoleScope::Organization,
        reports_to: Some("ciso"),
        requires_mfa: false,
        standard_clause: "標準対策基準1(1)②",
    },
    RoleTerm {
        id: "ciso",
        name: "最高情報セキュリティ責任者",
        aliases: &["CISO"],
        abbreviation: Some("CISO"),
        scope: RoleScope::Organization,
        reports_to: None,
        requires_mfa: true,
        standard_clause: "標準対策基準1(1)①",
    },
    RoleTerm {
        id: "security_director",
        name: "統括情報セキュリティ責任者",
        aliases: &[],
        abbreviation: None,
        scope: RoleScope::Organization,
        reports_to: Some("ciso"),
        requires_mfa: true,
        standard_clause: "標準対策基準1(2)①",
    },
    RoleTerm {
        id: "security_manager",
        name: "情報セキュリティ管理者",
        aliases: &[],
        abbreviation: None,
        scope: RoleScope::Department,
        reports_to: Some("security_director"),
        requires_mfa: false,
        standard_clause: "標準対策基準1(3)①",
    },
    RoleTerm {
        id: "security_officer",
        name: "情報セキュリティ担当者",
        aliases: &[],
        abbreviation: None,
        scope: RoleScope::Department,
        reports_to: Some("security_manager"),
        requires_mfa: false,
        standard_clause: "標準対策基準1(4)①",
    },
    RoleTerm {
        id: "system_manager",
        name: "情報システム管理者",
        aliases: &[],
        abbreviation: None,
        scope: RoleScope::System,
        reports_to: Some("security_director"),
        requires_mfa: false,
        standard_clause: "標準対策基準1(5)①",
    },
    RoleTerm {
        id: "system_operator",
        name: "情報システム担当者",
        aliases: &[],
        abbreviation: None,
        scope: RoleScope::System,
        reports_to: Some("system_manager"),
        requires_mfa: false,
        standard_clause: "標準対策基準1(6)",
    },
    RoleTerm {
        id: "committee",
        name: "情報セキュリティ委員会",
        aliases: &[],
        abbreviation: None,
        scope: RoleScope::Organization,
        reports_to: None,
        requires_mfa: false,
        standard_clause: "標準対策基準1(7)",
    },
    RoleTerm {
        id: "cloud_service_manager",
        name: "クラウドサービス管理者",
        aliases: &[],
        abbreviation: None,
        scope: RoleScope::System,
        reports_to: Some("security_director"),
        requires_mfa: false,
        standard_clause: "標準対策基準8.3(5)③",
    },
    RoleTerm {
        id: "csirt",
        name: "CSIRT",
        aliases: &[],
        abbreviation: Some("CSIRT"),
        scope: RoleScope::Organization,
        reports_to: Some("ciso"),
        requires_mfa: false,
        standard_clause: "標準対策基準1(9)①",
    },
];

/// The roles a body without its own organization text falls back to (the standard set the
/// bundled profiles of 001–003 carry).
pub const STANDARD_ROLE_IDS: [&str; 8] =
    ["ciso", "security_director", "security_manager", "security_officer", "system_manager", "system_operator", "committee", "csirt"];

pub fn role(id: &str) -> Option<&'static RoleTerm> {
    ROLES.iter().find(|r| r.id == id)
}

/// Names that only appear as the second of two alternatives (`情報セキュリティ管理者又は担当者`,
/// `統括情報セキュリティ責任者又は情報セキュリティ責任者`): they continue the first role.
const SECOND_ALIASES: [&str; 2] = ["担当者", "情報セキュリティ責任者"];

/// The role a normalized phrase ends with: (role id, char length of the match).
pub fn role_suffix(phrase: &str) -> Option<(&'static str, usize)> {
    let p = phrase.strip_suffix('等').unwrap_or(phrase);
    for r in &ROLES {
        for name in std::iter::once(&r.name).chain(r.aliases.iter()) {
            if p.ends_with(name) {
                return Some((r.id, name.chars().count()));
            }
        }
    }
    None
}

/// The first role of a subject phrase in which every alternative (`又は`, `及び`, `並びに`)
/// is a role; the first alternative may carry modifiers (`報告を受けた情報セキュリティ管理者`).
pub fn role_phrase(phrase: &str) -> Option<&'static str> {
    if phrase.is_empty() {
        return None;
    }
    // Most subjects name a single role: without a separator's first character there is
    // nothing to split.
    if !phrase.contains(['又', '及', '並', '若']) {
        return role_suffix(phrase).map(|(id, _)| id);
    }
    let mut parts: Vec<&str> = vec![phrase];
    for sep in ["又は", "及び", "並びに", "若しくは"] {
        parts = parts.into_iter().flat_map(|p| p.split(sep)).collect();
    }
    let (first, rest) = parts.split_first()?;
    let (id, _) = role_suffix(first)?;
    for alt in rest {
        let alt = alt.strip_suffix('等').unwrap_or(alt);
        let exact = ROLES.iter().any(|r| r.name == alt || r.aliases.contains(&alt));
        // `CISO及びCISOが指名した者`: someone the role designates stands with it.
        let designated =
            alt.ends_with('者') && ROLES.iter().any(|r| names(r).any(|n| alt.strip_prefix(n).is_some_and(|rest| rest.starts_with('が'))));
        if !exact && !designated && !SECOND_ALIASES.contains(&alt) {
            return None;
        }
    }
    Some(id)
}

/// A role's name and its aliases.
fn names(r: &'static RoleTerm) -> impl Iterator<Item = &'static str> {
    std::iter::once(r.name).chain(r.aliases.iter().copied())
}

/// Every place where a role's name or alias occurs in a normalized text, overlapping ones
/// included: (byte offset, role, the name as written), in order of position. One pass over
/// the text: a name can only start at one of the few characters that names start with.
pub fn mentions(text: &str) -> impl Iterator<Item = (usize, &'static RoleTerm, &'static str)> + '_ {
    static INITIALS: LazyLock<Vec<char>> = LazyLock::new(|| {
        let mut initials: Vec<char> = ROLES.iter().flat_map(names).filter_map(|n| n.chars().next()).collect();
        initials.sort_unstable();
        initials.dedup();
        initials
    });
    text.match_indices(INITIALS.as_slice()).flat_map(move |(at, _)| {
        ROLES
            .iter()
            .flat_map(|r| names(r).map(move |name| (r, name)))
            .filter(move |(_, name)| text[at..].starts_with(name))
            .map(move |(r, name)| (at, r, name))
    })
}

/// Every role named in a normalized text, in order of first appearance.
pub fn roles_in(text: &str) -> Vec<&'static str> {
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for r in &ROLES {
        for name in std::iter::once(&r.name).chain(r.aliases.iter()) {
            for (pos, _) in text.match_indices(name) {
                let end = pos + name.len();
                if taken.iter().any(|(s, e)| pos < *e && end > *s) {
                    continue;
                }
                taken.push((pos, end));
                found.push((pos, r.id));
            }
        }
    }
    found.sort();
    let mut out = Vec::new();
    for (_, id) in found {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

pub fn body_id(name: &str) -> Option<&'static str> {
    const BODIES: [(&str, &str); 16] = [
        ("町長", "mayor"),
        ("市長", "mayor"),
        ("村長", "mayor"),
        ("区長", "mayor"),
        ("議会", "assembly"),
        ("教育委員会", "board_of_education"),
        ("選挙管理委員会", "election_commission"),
        ("監査委員", "audit_commissioners"),
        ("農業委員会", "agricultural_commission"),
        ("固定資産評価審査委員会", "fixed_asset_review_board"),
        ("公営企業管理者", "public_enterprise_manager"),
        ("公平委員会", "equity_commission"),
        ("消防長", "fire_chief"),
        ("管理者", "manager"),
        ("管理者部局", "manager_department"),
        ("人事委員会", "personnel_commission"),
    ];
    BODIES.iter().find(|(n, _)| *n == name).map(|(_, id)| *id)
}

pub fn zone_id(name: &str) -> Option<&'static str> {
    if name.contains("マイナンバー") || name.contains("個人番号") {
        Some("mynumber")
    } else if name.contains("LGWAN") {
        Some("lgwan")
    } else if name.contains("インターネット") {
        Some("internet")
    } else if name.contains("介護") {
        Some("kaigo")
    } else {
        None
    }
}

/// Abbreviations a text sets up for roles: 「統括情報セキュリティ責任者（以下「統括責任者」という。）」
/// → (`統括責任者`, the role's full name). Names the glossary already knows are left out.
pub fn abbreviations(texts: &[&str]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for text in texts {
        for (at, r, name) in mentions(text) {
            let after = &text[at + name.len()..];
            let Some(rest) = after.strip_prefix("(以下「").or_else(|| after.strip_prefix("(以下、「")) else { continue };
            let Some(end) = rest.find('」') else { continue };
            let abbreviation = &rest[..end];
            let known = ROLES.iter().any(|t| names(t).any(|n| n == abbreviation));
            if abbreviation.is_empty() || known || abbreviation.chars().count() > 20 {
                continue;
            }
            if !out.iter().any(|(a, _)| a == abbreviation) {
                out.push((abbreviation.to_owned(), r.name));
            }
        }
    }
    // Longest first, so that 「統括責任者」 is replaced before a shorter 「責任者」.
    out.sort_by_key(|(a, _)| std::cmp::Reverse(a.chars().count()));
    out
}

/// A text with each abbreviation written out as the role's full name, except where the
/// abbreviation is already part of a full name or of its own definition.
pub fn expand_abbreviations(text: &str, abbreviations: &[(String, &'static str)]) -> String {
    let mut out = text.to_owned();
    for (abbreviation, full) in abbreviations {
        if !out.contains(abbreviation.as_str()) {
            continue;
        }
        let spans: Vec<(usize, usize)> = out.match_indices(full).map(|(k, f)| (k, k + f.len())).collect();
        let mut next = String::with_capacity(out.len() + 64);
        let mut copied = 0;
        for (k, _) in out.match_indices(abbreviation.as_str()) {
            let end = k + abbreviation.len();
            let inside_full = spans.iter().any(|&(a, b)| a <= k && end <= b);
            let defined_here = out[..k].ends_with('「');
            if inside_full || defined_here || k < copied {
                continue;
            }
            next.push_str(&out[copied..k]);
            next.push_str(full);
            copied = end;
        }
        next.push_str(&out[copied..]);
        out = next;
    }
    out
}

#[cfg(test)]
mod abbreviation_tests {
    use super::*;

    #[test]
    fn an_abbreviation_reads_as_the_role() {
        let texts = ["統括情報セキュリティ責任者(以下「統括責任者」という。)は、総務課長をもって充てる。"];
        let found = abbreviations(&texts);
        assert_eq!(found, vec![("統括責任者".to_owned(), "統括情報セキュリティ責任者")]);
        assert_eq!(
            expand_abbreviations("統括責任者は、研修計画を定める。統括情報セキュリティ責任者(以下「統括責任者」という。)", &found),
            "統括情報セキュリティ責任者は、研修計画を定める。統括情報セキュリティ責任者(以下「統括責任者」という。)"
        );
    }
}
