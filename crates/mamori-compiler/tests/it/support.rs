//! Loading the seed documents, samples and gold files that live beside the tests.

use std::path::PathBuf;

use mamori_compiler::eval::{parse_gold, Gold};
use mamori_compiler::Compilation;

pub const SEEDS: [(&str, &str); 4] = [
    ("001_d279ced92ad6e4eb.txt", "001_nakaniikawa.toml"),
    ("002_3ef65d8e86db7538.txt", "002_nansatsu.toml"),
    ("003_398dfb7b61648d7e.txt", "003_yokote.toml"),
    ("004_e5ba308fd86ab30f.txt", "004_shime.toml"),
];

pub const SAMPLES: [&str; 3] = ["regulation.txt", "regulation_fullwidth.txt", "guideline_artifacts.md"];

fn dir(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join(sub)
}

pub fn read(sub: &str, name: &str) -> String {
    let path = dir(sub).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub fn compile_seed(file: &str) -> Compilation {
    mamori_compiler::compile(file, &read("seeds", file))
}

pub fn compile_sample(file: &str) -> Compilation {
    mamori_compiler::compile(file, &read("samples", file))
}

pub fn gold(name: &str) -> Gold {
    parse_gold(name, &read("gold", name)).unwrap_or_else(|e| panic!("{e}"))
}

/// Every seed and sample, compiled, with its name.
pub fn all_inputs() -> Vec<(String, String, Compilation)> {
    let mut out = Vec::new();
    for (file, _) in SEEDS {
        let text = read("seeds", file);
        out.push((file.to_owned(), text.clone(), mamori_compiler::compile(file, &text)));
    }
    for file in SAMPLES {
        let text = read("samples", file);
        out.push((file.to_owned(), text.clone(), mamori_compiler::compile(file, &text)));
    }
    out
}
