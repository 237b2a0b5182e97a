//! The documentation's shown output is the binary's output: every fenced block that README.md or
//! a file under docs/ marks with `<!-- real output: ARGS -->` on the line before it is compared
//! with what `hybridsim ARGS` prints, so the docs cannot drift from the program again.
//!
//! Lines starting with `wall time` are the one machine-dependent part of `run`'s output and are
//! left out of the comparison (the docs say so where they show a run).

use std::path::{Path, PathBuf};
use std::process::Command;

const MARK: &str = "<!-- real output: ";

/// (file, line of the marker, arguments, the block's text) of every marked block.
fn marked_blocks(file: &Path) -> Vec<(String, usize, Vec<String>, String)> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(rest) = lines[i].trim().strip_prefix(MARK) {
            let args = rest
                .strip_suffix("-->")
                .unwrap_or_else(|| panic!("{}:{}: unterminated marker", file.display(), i + 1))
                .split_whitespace()
                .map(String::from)
                .collect();
            let fence = lines.get(i + 1).copied().unwrap_or_default();
            assert!(
                fence.starts_with("```"),
                "{}:{}: a real-output marker must be followed by a fenced block",
                file.display(),
                i + 1
            );
            let mut block = String::new();
            let mut j = i + 2;
            while j < lines.len() && !lines[j].starts_with("```") {
                block.push_str(lines[j]);
                block.push('\n');
                j += 1;
            }
            assert!(
                j < lines.len(),
                "{}:{}: unclosed block",
                file.display(),
                i + 1
            );
            out.push((file.display().to_string(), i + 1, args, block));
            i = j;
        }
        i += 1;
    }
    out
}

fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir("docs")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

#[test]
fn every_block_marked_as_real_output_is_what_the_binary_prints() {
    let mut checked = Vec::new();
    for f in doc_files() {
        for (file, line, args, block) in marked_blocks(&f) {
            let o = Command::new(env!("CARGO_BIN_EXE_hybridsim"))
                .args(&args)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{file}:{line}: hybridsim {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&o.stderr)
            );
            let printed: String = String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| !l.starts_with("wall time "))
                .map(|l| format!("{l}\n"))
                .collect();
            assert_eq!(
                block,
                printed,
                "{file}:{line}: the block shown for `hybridsim {}` differs from what it prints",
                args.join(" ")
            );
            checked.push(format!("{file}:{line}"));
        }
    }
    // The README shows two runs (quickstart and forgotten-selector); both must be checked, so
    // that a marker lost in an edit fails here instead of silently checking nothing.
    let readme = checked
        .iter()
        .filter(|c| c.starts_with("README.md:"))
        .count();
    assert!(readme >= 2, "only {checked:?} checked");
}

#[test]
fn the_readme_commands_name_real_files_and_subcommands() {
    // The two set-up commands the README opens with.
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(readme.starts_with(
        "# hybridsim\n\n    cargo run --release -- run scenarios/quickstart.ron\n    cargo test --release\n"
    ));
    assert!(Path::new("scenarios/quickstart.ron").is_file());
    // Every `hybridsim COMMAND` row of the README's command table is a subcommand the binary
    // knows (its --help exits 0).
    let mut seen = 0;
    for line in readme.lines().filter(|l| l.starts_with("| `hybridsim ")) {
        let cmd = line["| `hybridsim ".len()..]
            .split([' ', '`'])
            .next()
            .unwrap();
        let st = Command::new(env!("CARGO_BIN_EXE_hybridsim"))
            .args([cmd, "--help"])
            .output()
            .unwrap();
        assert!(st.status.success(), "README names `hybridsim {cmd}`");
        seen += 1;
    }
    // run, validate, compare, sweep, optimize, merge, plot, check, import, bench, trace.
    assert_eq!(seen, 11);
}
