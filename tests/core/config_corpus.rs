//! Replays the config fuzz corpus (`tests/fuzz/corpus/config/`, kept by the long fuzz run of
//! `tests/fuzz/src/bin/config.rs`) through the loader: no panic, a non-empty error list whose every
//! line names the file, or a config that loads to the same value twice and diffs empty with itself.

use std::path::Path;

use anycastd::config;

#[test]
fn every_config_fuzz_corpus_file_loads_or_fails_cleanly_as_yaml_and_json() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/config");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the config fuzz corpus {} is missing: {e}", dir.display()));
    let mut files = 0;
    for entry in entries.flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for name in ["corpus.yaml", "corpus.json"] {
            let path = Path::new(name);
            match config::load(path, &text) {
                Err(errors) => {
                    assert!(
                        !errors.0.is_empty(),
                        "{}: empty error list",
                        entry.path().display()
                    );
                    for line in errors.to_string().lines() {
                        assert!(
                            line.starts_with(name),
                            "{}: error line without the path: {line:?}",
                            entry.path().display()
                        );
                    }
                }
                Ok(first) => {
                    let again = config::load(path, &text);
                    assert_eq!(
                        again.as_ref().ok(),
                        Some(&first),
                        "{}",
                        entry.path().display()
                    );
                    assert!(config::diff::diff(&first, &first).is_empty());
                }
            }
        }
        files += 1;
    }
    assert!(
        files >= 100,
        "only {files} corpus files in {}",
        dir.display()
    );
}
