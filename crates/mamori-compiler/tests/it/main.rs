//! Integration tests of the policy compiler: the four seed documents against their gold files
//! and the bundled profiles, regulation-style samples, the line-coverage invariant, the draft
//! profiles and robustness on arbitrary input.

mod coverage;
mod drafts;
mod model;
mod regulation;
mod robustness;
mod seeds;
mod shime;
mod support;
