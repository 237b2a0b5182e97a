//! The files users copy into their pipelines and clusters, parsed and checked against the real
//! command line: the CI examples under docs/ci/ and the sweep manifests under deploy/.
//!
//! Every command these files run is split into words and parsed with hybridsim's own clap
//! `Cli`, so a renamed or removed option breaks this test instead of a user's pipeline.

use clap::Parser;
use hybridsim::cli::{Cli, Command};
use serde_yaml_ng::Value;
use std::path::Path;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Splits a command line that uses no shell quoting, expansion or operators into words; such
/// a line means exactly its words, so parsing them is parsing what the shell runs.
fn plain_words(line: &str) -> Vec<String> {
    assert!(
        !line.contains(['"', '\'', '$', '|', ';', '&', '`', '\\', '>', '<']),
        "expected a plain command line: {line}"
    );
    line.split_whitespace().map(String::from).collect()
}

/// Parses `argv` (its first word is the path of the binary) with the real `Cli`.
fn parse(argv: &[String]) -> Cli {
    assert!(
        argv[0] == "hybridsim" || argv[0].ends_with("/hybridsim"),
        "not a hybridsim command: {argv:?}"
    );
    Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{argv:?} does not parse:\n{e}"))
}

/// Checks that `line` is `hybridsim check` on a bundled scenario with assertions, over 20 seeds,
/// writing a JUnit report; returns the report's path.
fn check_invocation(line: &str) -> String {
    let argv = plain_words(line);
    let Command::Check { file, ci, .. } = parse(&argv).command else {
        panic!("not `hybridsim check`: {line}");
    };
    assert!(file.is_file(), "{} does not exist", file.display());
    let loaded = hybridsim::experiment::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !loaded.assertions.is_empty(),
        "{} has nothing to check",
        file.display()
    );
    assert_eq!(ci.seeds.as_deref(), Some("20"));
    let junit = ci.junit.expect("the example writes a JUnit report");
    junit.to_str().unwrap().to_string()
}

#[test]
fn the_github_actions_example_builds_then_checks_across_20_seeds_and_publishes_the_report() {
    let w = yaml("docs/ci/github-actions.yml");
    let steps = w["jobs"]["slo"]["steps"]
        .as_sequence()
        .expect("jobs.slo.steps");
    let run = |i: usize| steps[i]["run"].as_str().unwrap_or("");
    let build = (0..steps.len())
        .find(|&i| run(i).starts_with("cargo build --release"))
        .expect("a build step");
    let check = (0..steps.len())
        .find(|&i| run(i).contains("hybridsim check"))
        .expect("a check step");
    assert!(
        build < check,
        "the check runs the binary the build step makes"
    );
    // The build writes target/release/hybridsim, which the check step runs.
    assert!(run(check).starts_with("target/release/hybridsim "));
    let junit = check_invocation(run(check));
    let uses = |i: usize| steps[i]["uses"].as_str().unwrap_or("");
    let publish = (0..steps.len())
        .find(|&i| uses(i).starts_with("mikepenz/action-junit-report@"))
        .expect("a publish step");
    assert!(publish > check);
    assert_eq!(
        steps[publish]["with"]["report_paths"].as_str(),
        Some(junit.as_str())
    );
    // Published when the check fails too (a failed gate is when the report matters most).
    assert_eq!(steps[publish]["if"].as_str(), Some("${{ !cancelled() }}"));
    let upload = (0..steps.len())
        .find(|&i| uses(i).starts_with("actions/upload-artifact@"))
        .expect("an upload step");
    assert_eq!(steps[upload]["with"]["path"].as_str(), Some(junit.as_str()));
    assert_eq!(w["permissions"]["checks"].as_str(), Some("write"));
}

#[test]
fn the_gitlab_ci_example_builds_then_checks_across_20_seeds_and_publishes_the_report() {
    let w = yaml("docs/ci/gitlab-ci.yml");
    let job = &w["hybridsim-slo"];
    let script: Vec<&str> = job["script"]
        .as_sequence()
        .expect("hybridsim-slo.script")
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(script[0].starts_with("cargo build --release"));
    assert!(script[1].starts_with("target/release/hybridsim "));
    let junit = check_invocation(script[1]);
    assert_eq!(
        job["artifacts"]["reports"]["junit"].as_str(),
        Some(junit.as_str())
    );
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
    assert!(
        job["image"].as_str().unwrap().starts_with("rust:"),
        "a Rust image builds hybridsim"
    );
}

#[test]
fn the_docs_link_the_ci_examples() {
    let docs = std::fs::read_to_string("docs/experiments.md").unwrap();
    for f in ["ci/github-actions.yml", "ci/gitlab-ci.yml"] {
        assert!(
            docs.contains(&format!("]({f})")),
            "docs/experiments.md links {f}"
        );
        assert!(Path::new("docs").join(f).is_file());
    }
}

/// `--OPTION VALUE` in an argument list.
fn option<'a>(argv: &'a [String], name: &str) -> &'a str {
    let i = argv
        .iter()
        .position(|w| w == name)
        .unwrap_or_else(|| panic!("no {name} in {argv:?}"));
    &argv[i + 1]
}

/// The `FROM`, `WORKDIR`, `USER` and `COPY --from` lines of deploy/Containerfile.
fn containerfile(keyword: &str) -> Vec<String> {
    std::fs::read_to_string("deploy/Containerfile")
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{keyword} ")))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn the_containerfile_builds_with_a_slim_rust_image_and_runs_on_slim_debian() {
    let from = containerfile("FROM");
    assert_eq!(from.len(), 2, "two stages: {from:?}");
    assert!(
        from[0].starts_with("docker.io/library/rust:")
            && from[0].ends_with("-slim-trixie AS build"),
        "{}",
        from[0]
    );
    assert_eq!(from[1], "docker.io/library/debian:trixie-slim");
    // The runtime stage takes the binary the build stage made, onto the PATH the Job uses.
    assert!(containerfile("COPY").contains(
        &"--from=build /src/target/release/hybridsim /usr/local/bin/hybridsim".to_string()
    ));
    // Every path the build stage copies exists (a missing one fails `docker build`).
    for l in containerfile("COPY")
        .iter()
        .filter(|l| !l.starts_with("--from"))
    {
        let words: Vec<&str> = l.split_whitespace().collect();
        for src in &words[..words.len() - 1] {
            assert!(Path::new(src).exists(), "COPY {src}: no such path");
        }
    }
}

#[test]
fn the_indexed_job_runs_shard_k_of_n_for_each_of_its_n_completion_indices() {
    use k8s_openapi::api::batch::v1::Job;
    use k8s_openapi::api::core::v1::PersistentVolumeClaim;
    let text = std::fs::read_to_string("deploy/k8s/sweep-job.yaml").unwrap();
    // Through k8s-openapi's own types: a misspelt or misplaced field is an error here.
    let job: Job = serde_yaml_ng::from_str(&text).unwrap();
    let spec = job.spec.expect("spec");
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    let n = spec.completions.expect("completions") as usize;
    assert!(spec.parallelism.unwrap_or(1) as usize <= n);
    let pod = spec.template.spec.expect("template.spec");
    // backoffLimitPerIndex needs restartPolicy Never (the API server rejects it otherwise).
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    assert!(spec.backoff_limit_per_index.is_some());
    let c = &pod.containers[0];
    let command = c.command.clone().expect("command");
    assert!(c.args.is_none(), "the whole command is in `command`");
    // `--shard $(JOB_COMPLETION_INDEX)/N` with N = completions.
    assert_eq!(
        option(&command, "--shard"),
        format!("$(JOB_COMPLETION_INDEX)/{n}")
    );
    for k in 0..n {
        // What Kubernetes runs in pod k: it replaces $(JOB_COMPLETION_INDEX) with k.
        let argv: Vec<String> = command
            .iter()
            .map(|w| w.replace("$(JOB_COMPLETION_INDEX)", &k.to_string()))
            .collect();
        assert!(matches!(parse(&argv).command, Command::Compare { .. }));
        assert_eq!(
            hybridsim::cli::args::parse_shard(option(&argv, "--shard")).map(|s| (s.k, s.n)),
            Ok((k, n))
        );
        hybridsim::cli::args::parse_seeds(option(&argv, "--seeds")).unwrap();
    }
    // The scenario is where the image puts it: the Containerfile copies scenarios/ into its
    // WORKDIR, which is the container's working directory.
    assert_eq!(
        containerfile("WORKDIR").last().map(String::as_str),
        c.working_dir.as_deref()
    );
    assert!(containerfile("COPY").contains(&format!(
        "scenarios {}/scenarios",
        c.working_dir.as_deref().unwrap()
    )));
    assert!(Path::new(&command[2]).is_file(), "{}", command[2]);
    hybridsim::experiment::load(Path::new(&command[2])).unwrap();
    // The image's user can write the shared volume: fsGroup is the image's USER.
    let sec = pod.security_context.expect("securityContext");
    let user = containerfile("USER")
        .last()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    assert_eq!((sec.run_as_user, sec.fs_group), (Some(user), Some(user)));
    // --out is on the shared volume, and that volume is the claim deploy/k8s/results-pvc.yaml
    // declares, with an access mode several nodes can write at once.
    let out = option(&command, "--out");
    let mount = c
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| out.starts_with(&format!("{}/", m.mount_path)))
        .expect("--out lies on a mounted volume");
    let volume = pod
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == mount.name)
        .unwrap();
    let claim = &volume.persistent_volume_claim.as_ref().unwrap().claim_name;
    let pvc: PersistentVolumeClaim =
        serde_yaml_ng::from_str(&std::fs::read_to_string("deploy/k8s/results-pvc.yaml").unwrap())
            .unwrap();
    assert_eq!(pvc.metadata.name.as_ref(), Some(claim));
    assert_eq!(
        pvc.spec.unwrap().access_modes,
        Some(vec!["ReadWriteMany".to_string()])
    );
}

/// Expands `${NAME}` and `${NAME:-default}` (the default may itself hold `${...}`) the way bash
/// does for the variables in `env` (unset ones take their default); other text stays.
fn expand(text: &str, env: &std::collections::BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        // The matching brace, counting nested `${`.
        let (mut depth, mut end) = (0, None);
        for (j, c) in rest[i..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i + j);
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = end.expect("closing }");
        let inner = &rest[i + 2..end];
        let (name, default) = inner.split_once(":-").unwrap_or((inner, ""));
        match env.get(name) {
            Some(v) => out.push_str(v),
            None => out.push_str(&expand(default, env)),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_sbatch_array_has_one_task_per_shard_and_each_task_runs_a_valid_compare() {
    let path = "deploy/slurm/sweep.sbatch";
    let text = std::fs::read_to_string(path).unwrap();
    // bash accepts it.
    let syntax = std::process::Command::new("bash")
        .args(["-n", path])
        .status()
        .unwrap();
    assert!(syntax.success());
    let directive = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("#SBATCH --{name}=")))
            .unwrap_or_else(|| panic!("no #SBATCH --{name}"))
            .trim()
            .to_string()
    };
    // --array=0-(N-1): 0-based, as --shard's K is.
    let array = directive("array");
    let (first, last) = array.split_once('-').expect("a range");
    assert_eq!(first, "0");
    let tasks: usize = last.parse::<usize>().unwrap() + 1;
    let line = text
        .lines()
        .find(|l| l.starts_with("exec "))
        .expect("an exec line");
    let mut shards = None;
    for k in 0..tasks {
        // What Slurm sets for task k, then the script's assignments in order, as bash runs them
        // without --export overrides.
        let mut env = std::collections::BTreeMap::new();
        env.insert("SLURM_CPUS_PER_TASK".into(), directive("cpus-per-task"));
        env.insert("SLURM_ARRAY_JOB_ID".into(), "4242".into());
        env.insert("SLURM_ARRAY_TASK_ID".to_string(), k.to_string());
        for l in text.lines() {
            if let Some((name, value)) = l.split_once('=')
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            {
                let value = expand(value.trim_matches('"'), &env);
                env.insert(name.to_string(), value);
            }
        }
        shards = Some(env["SHARDS"].clone());
        // Every variable is double-quoted and expands to a word without spaces, so removing
        // the quotes and splitting at spaces gives bash's words.
        let words: Vec<String> = expand(line, &env)
            .replace('"', "")
            .split_whitespace()
            .skip(1)
            .map(String::from)
            .collect();
        assert!(matches!(parse(&words).command, Command::Compare { .. }));
        assert_eq!(
            hybridsim::cli::args::parse_shard(option(&words, "--shard")).map(|s| (s.k, s.n)),
            Ok((k, tasks))
        );
        assert_eq!(option(&words, "--jobs"), directive("cpus-per-task"));
        assert_eq!(option(&words, "--out"), "results/shards-4242");
        assert!(Path::new(&words[2]).is_file(), "{}", words[2]);
    }
    assert_eq!(
        shards.unwrap().parse::<usize>(),
        Ok(tasks),
        "SHARDS = the array's size"
    );
}

#[test]
fn the_docs_include_the_deploy_files_verbatim() {
    // docs/distributed.md shows each file in full, so the docs and the tested files cannot
    // drift apart.
    let docs = std::fs::read_to_string("docs/distributed.md").unwrap();
    for f in [
        "deploy/Containerfile",
        "deploy/k8s/sweep-job.yaml",
        "deploy/k8s/results-pvc.yaml",
        "deploy/slurm/sweep.sbatch",
    ] {
        let body = std::fs::read_to_string(f).unwrap();
        assert!(
            docs.contains(&body),
            "docs/distributed.md does not contain {f} verbatim"
        );
        assert!(
            docs.contains(&format!("](../{f})")),
            "docs/distributed.md does not link {f}"
        );
    }
}

/// Opt-in: HYBRIDSIM_SLURM_TEST=1 runs deploy/slurm/local-test.sh (installs Slurm from Debian's
/// packages if missing, starts a single-host cluster, submits the job array of shards, merges,
/// compares with one machine's compare byte for byte) and fails if Slurm cannot be brought up.
/// HYBRIDSIM_SLURM_TEST=if-possible (what .ci/run sets) prints the reason and passes when the
/// machine cannot run Slurm (no root, no apt-get, no network), and fails on anything else.
#[test]
fn slurm_job_array_shards_merge_to_exactly_the_single_machine_compare() {
    let mode = std::env::var("HYBRIDSIM_SLURM_TEST").unwrap_or_default();
    if mode.is_empty() || mode == "0" {
        eprintln!("not run: set HYBRIDSIM_SLURM_TEST=1 to run the Slurm integration test");
        return;
    }
    let o = std::process::Command::new("bash")
        .arg("deploy/slurm/local-test.sh")
        .env("HYBRIDSIM", env!("CARGO_BIN_EXE_hybridsim"))
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    println!("{out}");
    eprintln!("{err}");
    match o.status.code() {
        Some(0) => assert!(out.contains("byte for byte"), "{out}"),
        Some(77) if mode == "if-possible" => {
            println!("SKIPPED: Slurm cannot run on this machine: {}", err.trim());
        }
        code => panic!("local-test.sh exited {code:?}:\n{out}\n{err}"),
    }
}
