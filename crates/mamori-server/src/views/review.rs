//! What a new profile version changes, shown before anyone activates it: the rule families
//! with the items added, removed and changed, and the sample decisions that change.

use mamori_engine::review::Review;
use maud::{html, Markup};

/// How many changed decisions the page lists (the count is always shown).
const LISTED_CHANGES: usize = 300;

pub fn review_view(r: &Review) -> Markup {
    let changed: Vec<_> = r.diff.families.iter().filter(|f| !f.is_empty()).collect();
    html! {
        section #review {
            h2 { "変更の内容（現在の版との差分）" }
            @if changed.is_empty() {
                p #no-difference { "規則・役割・領域に違いはありません。" }
            } @else {
                table #family-diff {
                    thead { tr { th { "項目" } th { "現在" } th { "新しい版" } th { "追加" } th { "削除" } th { "変更" } } }
                    tbody { @for f in &r.diff.families { tr data-family=(f.family.id()) class=(if f.removes_family() { "error" } else { "" }) {
                        td { (f.family.label_ja()) }
                        td { (f.old_count) } td { (f.new_count) }
                        td { (f.added.len()) } td { (f.removed.len()) } td { (f.changed.len()) }
                    } } }
                }
                @for f in &changed {
                    details data-family=(f.family.id()) {
                        summary { (f.family.label_ja()) "：追加 " (f.added.len()) "、削除 " (f.removed.len()) "、変更 " (f.changed.len()) }
                        ul.small {
                            @for i in f.added.iter().take(100) { li { "追加 " code { (i.key) } " " (i.label) } }
                            @for i in f.removed.iter().take(100) { li.error { "削除 " code { (i.key) } " " (i.label) } }
                            @for i in f.changed.iter().take(100) { li { "変更 " code { (i.key) } " " (i.label) "（" (i.fields.join("、")) "）" } }
                        }
                    }
                }
            }
            h3 { "判断の見本（" (r.matrix.total) " 件）" }
            @if r.matrix.changes.is_empty() {
                p #decision-matrix { "すべての見本で判断は変わりません。" }
            } @else {
                p.error #decision-matrix { (r.matrix.changes.len()) " 件の判断が変わります（一致率 " (format!("{:.1}", r.matrix.agreement() * 100.0)) "%）。" }
                table.small #changed-decisions {
                    thead { tr { th { "見本" } th { "現在" } th { "新しい版" } } }
                    tbody { @for c in r.matrix.changes.iter().take(LISTED_CHANGES) { tr {
                        td { (c.sample.label_ja()) } td { (c.old.label_ja()) } td { (c.new.label_ja()) }
                    } } }
                }
                @if r.matrix.changes.len() > LISTED_CHANGES { p.small { "ほか " (r.matrix.changes.len() - LISTED_CHANGES) " 件。" } }
            }
        }
    }
}

/// The confirmation a person must give when the change loses something: a checkbox naming
/// each loss, carrying the token of exactly this review.
pub fn confirmation_fields(r: &Review) -> Markup {
    html! {
        @if r.needs_confirmation() {
            fieldset #confirm-losses {
                legend { "失われるものの確認" }
                ul { @for l in &r.losses { li.error { (l) } } }
                label.check { input type="checkbox" name="confirm" value=(r.confirmation_token()) id="confirm" required; " 上の内容を確認し、それでも有効にします" }
            }
        }
    }
}
