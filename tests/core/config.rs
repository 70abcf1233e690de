//! The configuration loader: examples load, broken files give exactly the expected lines.

use std::path::Path;

use anycastd::config::{self, load};

#[test]
fn go_readme_original_gives_one_did_you_mean() {
    let path = Path::new("tests/data/go-readme-original.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let errors = load(path, &text).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "tests/data/go-readme-original.yaml:16:7: announcer.peers[1]: unknown key \"multihope_ttl\"; did you mean \"multihop_ttl\"?\n"
    );
    let _ = config::ConfigErrors::len(&errors);
}

#[test]
fn every_example_loads() {
    let mut seen = 0;
    for entry in std::fs::read_dir("config-examples").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        match load(&path, &text) {
            Ok(config) => assert_eq!(config.source, path),
            Err(errors) => panic!("{} does not load:\n{errors}", path.display()),
        }
        seen += 1;
    }
    assert!(seen >= 4, "expected at least 4 examples, found {seen}");
}

#[test]
fn go_readme_yaml_and_json_are_the_same_config() {
    let yaml = Path::new("config-examples/go-readme.yaml");
    let json = Path::new("config-examples/go-readme.json");
    let mut a = load(yaml, &std::fs::read_to_string(yaml).unwrap()).unwrap();
    let b = load(json, &std::fs::read_to_string(json).unwrap()).unwrap();
    a.source = b.source.clone();
    assert_eq!(a, b);
    println!("{a:#?}");
}
