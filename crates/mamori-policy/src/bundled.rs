//! The profiles that ship with mamori, embedded in the binary.
//!
//! Each is the policy of one organization whose text is public (see `profiles/` and
//! `docs/profile-format.md`). They are parsed like any other profile, with
//! [`crate::parse_profile`]; embedding them only saves the operator a file.

/// `(id, file name, text)` of every bundled profile. The id is the profile's
/// `[profile] id`.
pub const BUNDLED: &[(&str, &str, &str)] = &[
    ("shime", "shime.toml", include_str!("../../../profiles/shime.toml")),
    ("yokote", "yokote.toml", include_str!("../../../profiles/yokote.toml")),
    ("nakaniikawa", "nakaniikawa.toml", include_str!("../../../profiles/nakaniikawa.toml")),
    ("nansatsu", "nansatsu.toml", include_str!("../../../profiles/nansatsu.toml")),
];

/// The text of the bundled profile `id`, if there is one.
pub fn bundled(id: &str) -> Option<&'static str> {
    BUNDLED.iter().find(|(i, _, _)| *i == id).map(|(_, _, text)| *text)
}
