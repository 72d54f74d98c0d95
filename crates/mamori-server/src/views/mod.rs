//! Pages, rendered with maud (compile-time checked, escaped). User-facing Japanese lives
//! here and in `messages`; handlers pass data, not prose.

pub mod error;
pub mod fmt;
pub mod layout;
pub mod review;

use mamori_policy::workflow::Citation;
use mamori_policy::Provenance;
use maud::{html, Markup};

/// A clause id as a page shows it. Every citation a page shows goes through here or
/// [`cite`], so that a test can find each one (`cite.clause`) and check it against the
/// profile's clause catalogue.
pub fn cite_clause(clause: &str) -> Markup {
    html! { cite.clause data-clause=(clause) { (clause) } }
}

/// A citation with its provenance: a standard measure says so.
pub fn cite(c: &Citation) -> Markup {
    html! {
        (cite_clause(&c.clause))
        @if c.provenance == Provenance::Standard { span.small { "（" (Provenance::Standard.label_ja()) "）" } }
    }
}

/// 「（根拠: …）」 after a sentence.
pub fn per(c: &Citation) -> Markup {
    html! { "（" (cite(c)) "）" }
}
