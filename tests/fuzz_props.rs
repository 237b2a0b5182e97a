//! Property tests (proptest) over the parsers a user's file goes through: the units grammar,
//! the scenario round trip (raw → RON → raw), scenario validation and manifest import on
//! mutated inputs. Case counts are fixed and small so the whole file runs in seconds under
//! `cargo test --release`; failures are not persisted (a failing case is printed, minimised,
//! and belongs in tests/fuzz/corpus/).

use hybridsim::import;
use hybridsim::scenario::{self, raw, units};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

const QUICKSTART: &str = include_str!("../scenarios/quickstart.ron");
const MORNING_PEAK: &str = include_str!("../scenarios/morning-peak.ron");
const NODES_YAML: &str = include_str!("fixtures/import/nodes/nodes.yaml");

/// A mutation of `text`: some bytes replaced, deleted or inserted at chosen positions.
fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for &(pos, op, byte) in edits {
        if b.is_empty() {
            break;
        }
        let i = pos % b.len();
        match op % 3 {
            0 => b[i] = byte,
            1 => {
                b.remove(i);
            }
            _ => b.insert(i, byte),
        }
    }
    b
}

/// Bytes that matter to the grammars: delimiters, quotes, digits, unit letters, newline.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b"()[]{}:,\"'#-&*!|>\n .0123456789smhdkMGTKi/".to_vec()),
        any::<u8>(),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn every_duration_formats_and_parses_back_to_itself(ms in any::<u64>()) {
        let s = units::Duration(ms).to_string();
        prop_assert_eq!(s.parse::<units::Duration>(), Ok(units::Duration(ms)));
    }

    #[test]
    fn every_size_formats_and_parses_back_to_itself(b in any::<u64>()) {
        let s = units::Bytes(b).to_string();
        prop_assert_eq!(s.parse::<units::Bytes>(), Ok(units::Bytes(b)));
    }

    #[test]
    fn every_rate_formats_and_parses_back_to_itself(b in any::<u64>()) {
        let s = units::Rate(b).to_string();
        prop_assert_eq!(s.parse::<units::Rate>(), Ok(units::Rate(b)));
    }

    #[test]
    fn every_cpu_formats_and_parses_back_to_itself(m in any::<u64>()) {
        let s = units::Cpu(m).to_string();
        prop_assert_eq!(s.parse::<units::Cpu>(), Ok(units::Cpu(m)));
    }

    #[test]
    fn no_string_makes_a_unit_parser_panic(s in "[0-9.]{0,30}[a-zA-Z/]{0,6}[0-9.]{0,5}[a-z]{0,3}|\\PC{0,40}") {
        // Each returns a value or an error; the property is that it returns.
        let _ = units::parse_duration_ms(&s);
        let _ = units::parse_bytes(&s);
        let _ = units::parse_rate(&s);
        let _ = units::parse_cpu_millis(&s);
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn a_scenario_with_arbitrary_names_and_numbers_round_trips_through_ron(
        name in "\\PC{0,20}|[\"\\\\\n\r\t/*]{0,8}",
        pool_name in "\\PC{1,12}",
        count in any::<u32>(),
        replicas in any::<u32>(),
        duration in any::<u64>(),
        price in (0.0f64..1e12),
        label in ("\\PC{0,12}", "\\PC{0,12}"),
    ) {
        let (mut raw, _) = scenario::load_str(QUICKSTART, "quickstart.ron").unwrap();
        raw.name = name;
        raw.duration = units::Duration(duration);
        raw.pools[0].name = pool_name;
        raw.pools[0].count = count;
        raw.pools[0].price_per_hour = Some(price);
        raw.pools[0].labels.insert(label.0, label.1);
        raw.workloads[0].replicas = replicas;
        raw.limits = raw::Limits { max_pods: count as u64, ..raw::Limits::default() };
        let text = scenario::to_ron(&raw).unwrap();
        let back = scenario::parse_raw(&text, "round.ron");
        prop_assert_eq!(back, Ok(raw));
    }

    #[test]
    fn a_mutated_scenario_never_makes_validation_panic(
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), interesting_byte()), 1..6),
        which in any::<bool>(),
    ) {
        let base = if which { QUICKSTART } else { MORNING_PEAK };
        let bytes = mutate(base, &edits);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            // morning-peak refers to no file, so validation needs nothing beside the text.
            match hybridsim::experiment::load_str(text, "mutant.ron") {
                Ok(_) => {}
                Err(e) => prop_assert!(e.0.iter().all(|p| p.file == "mutant.ron" && !p.message.is_empty())),
            }
        }
    }

    #[test]
    fn a_mutated_manifest_never_makes_the_reader_panic(
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), interesting_byte()), 1..6),
    ) {
        let bytes = mutate(NODES_YAML, &edits);
        let mut docs = import::k8s::Documents::default();
        let mut errs = Vec::new();
        import::k8s::read_bytes("mutant.yaml", &bytes, &mut docs, &mut errs);
        prop_assert!(errs.iter().all(|e| !e.message.is_empty()));
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// The whole import (grouping, images, rendering, the read-back check) on mutated node
    /// lists: an error or a scenario, and never "a bug in the import".
    #[test]
    fn a_mutated_node_list_imports_or_fails_cleanly(
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), interesting_byte()), 1..4),
        case in any::<u64>(),
    ) {
        let bytes = mutate(NODES_YAML, &edits);
        let dir = std::env::temp_dir().join(format!("hybridsim-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join(format!("nodes-{case}.yaml"));
        std::fs::write(&f, &bytes).unwrap();
        let opts = import::Options::new(
            std::slice::from_ref(&f),
            std::path::Path::new("fuzz.ron"),
            None,
            "100MB",
        )
        .unwrap();
        let r = import::import(&opts);
        let _ = std::fs::remove_file(&f);
        if let Err(e) = r {
            prop_assert!(!e.to_string().contains("a bug in the import"), "{}", e);
        }
    }
}
