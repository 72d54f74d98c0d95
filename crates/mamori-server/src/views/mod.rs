//! Pages, rendered with maud (compile-time checked, escaped). User-facing Japanese lives
//! here and in `messages`; handlers pass data, not prose.

pub mod fmt;
pub mod layout;
