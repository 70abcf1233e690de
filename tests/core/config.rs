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

/// Every file of `tests/data/bad/` fails with exactly the lines of its `.expected` file.
/// `ANYCASTD_BLESS=1` rewrites the `.expected` files from the current output (review the diff).
#[test]
fn every_bad_config_gives_exactly_the_expected_errors() {
    let bless = std::env::var_os("ANYCASTD_BLESS").is_some();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir("tests/data/bad")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.extension().is_some_and(|e| e == "expected") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let actual = match load(&path, &text) {
            Ok(_) => format!("(loaded without errors)\n"),
            Err(errors) => {
                assert!(!errors.is_empty());
                assert_eq!(errors.len(), errors.iter().count());
                errors.to_string()
            }
        };
        let expected_path = path.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        if actual != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                path.display()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 35, "only {checked} broken configs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
