//! Corpus replay: every file under tests/fuzz/corpus/scenario/ goes through the loader that
//! `hybridsim validate` uses, and every file under tests/fuzz/corpus/import/ through
//! `hybridsim import`. Each must end in a success or a clean error (a message naming the
//! file), never a panic, an abort or a hang. The corpus holds the minimised failures of the
//! fuzzing in issue 11; add a file here for every new one.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Far above what any corpus file needs (milliseconds each), far below a hang.
const PER_FILE: Duration = Duration::from_secs(5);

fn corpus(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new("tests/fuzz/corpus").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the {dir} corpus is empty");
    files
}

#[test]
fn every_scenario_in_the_corpus_validates_or_fails_with_a_located_message() {
    for f in corpus("scenario") {
        let t = Instant::now();
        let r = std::panic::catch_unwind(|| hybridsim::experiment::load(&f).map(|_| ()));
        let name = f.display().to_string();
        match r {
            Err(_) => panic!("{name}: validation panicked"),
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                // Every problem names the file, and these inputs are all value errors with a
                // position.
                for p in &e.0 {
                    assert_eq!(p.file, name);
                    assert!(p.line.is_some(), "{name}: no position in {p}");
                    assert!(!p.message.is_empty());
                }
            }
        }
        assert!(t.elapsed() < PER_FILE, "{name}: took {:?}", t.elapsed());
    }
}

#[test]
fn every_manifest_in_the_corpus_imports_or_fails_with_a_message() {
    for f in corpus("import") {
        let t = Instant::now();
        let name = f.display().to_string();
        let opts = hybridsim::import::Options::new(
            std::slice::from_ref(&f),
            Path::new("corpus.ron"),
            None,
            "100MB",
        )
        .unwrap();
        let r = std::panic::catch_unwind(|| hybridsim::import::import(&opts).map(|_| ()));
        match r {
            Err(_) => panic!("{name}: import panicked"),
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                assert!(!e.0.is_empty());
                assert!(e.0.iter().all(|p| !p.message.is_empty()), "{name}: {e}");
                // Never the import's own bug message: the input is refused at its source.
                assert!(
                    !e.to_string().contains("a bug in the import"),
                    "{name}: {e}"
                );
            }
        }
        assert!(t.elapsed() < PER_FILE, "{name}: took {:?}", t.elapsed());
    }
}
