//! The scenario's top-level fields and its settings sections: `kubelet`, `scheduler`,
//! `controllers` and `autoscaler`.
//!
//! Owns: the checks on these fields and their conversion into the model's config structs.
//! Does not own: the defaults of fields left out (`defaults`, applied by `raw`) or the
//! per-pool overrides (`pools`).

use super::Ctx;
use crate::model::{AutoscalerConfig, ControllerConfig, KubeletConfig, SchedulerConfig};
use crate::scenario::locate::Path;
use crate::scenario::raw;

/// The settings sections, converted.
pub(super) struct Settings {
    pub kubelet: KubeletConfig,
    pub scheduler: SchedulerConfig,
    pub controllers: ControllerConfig,
    pub autoscaler: AutoscalerConfig,
    /// Pulls a node may run at once unless its pool says otherwise.
    pub global_parallel: u32,
}

/// `name`, `duration` and `sample_interval`.
pub(super) fn check_top(cx: &mut Ctx, raw: &raw::Scenario) {
    let root = Path::root();
    if raw.name.trim().is_empty() {
        cx.err(root.field("name"), "expected a non-empty scenario name");
    }
    if raw.duration.0 == 0 {
        cx.err(
            root.field("duration"),
            "expected a positive duration, e.g. \"2h\"",
        );
    }
    if raw.sample_interval.0 == 0 {
        cx.err(
            root.field("sample_interval"),
            "expected a positive sample interval, e.g. \"10s\"",
        );
    }
}

pub(super) fn check(cx: &mut Ctx, raw: &raw::Scenario) -> Settings {
    let root = Path::root();
    let k = &raw.kubelet;
    let kp = root.field("kubelet");
    if k.max_concurrent_downloads == 0 {
        cx.err(
            kp.field("max_concurrent_downloads"),
            "expected at least 1 concurrent download",
        );
    }
    for (name, v) in [
        ("image_pull_backoff", k.image_pull_backoff),
        ("create_backoff", k.create_backoff),
    ] {
        if v.0 == 0 {
            cx.err(kp.field(name), "expected a positive back-off");
        }
    }
    // k/k kubelet config defaults: serializeImagePulls = (maxParallelImagePulls unset or 1);
    // validation rejects an explicit true with more than one parallel pull.
    let serialize = k
        .serialize_image_pulls
        .unwrap_or(k.max_parallel_image_pulls.is_none_or(|n| n <= 1));
    if serialize && k.max_parallel_image_pulls.is_some_and(|n| n > 1) {
        cx.err(
            kp.field("max_parallel_image_pulls"),
            "parallel pulls need serialize_image_pulls: false (as the kubelet's validation \
             requires)",
        );
    }
    if k.max_parallel_image_pulls == Some(0) {
        cx.err(
            kp.field("max_parallel_image_pulls"),
            "expected at least 1 (omit it for no limit)",
        );
    }
    check_disk_thresholds(cx, k, &kp);
    check_registry_qps(cx, k, &kp);
    let s = &raw.scheduler;
    if s.percentage_of_nodes_to_score > 100 {
        cx.err(
            root.field("scheduler")
                .field("percentage_of_nodes_to_score"),
            "expected 0 (adaptive) or a percentage from 1 to 100",
        );
    }
    if s.pod_initial_backoff.0 == 0 {
        cx.err(
            root.field("scheduler").field("pod_initial_backoff"),
            "expected a positive back-off",
        );
    }

    let ap = root.field("autoscaler");
    let a = &raw.autoscaler;
    if a.scan_interval.0 == 0 {
        cx.err(
            ap.field("scan_interval"),
            "expected a positive scan interval",
        );
    }
    if !(a.scale_down_utilization_threshold > 0.0 && a.scale_down_utilization_threshold <= 1.0) {
        cx.err(
            ap.field("scale_down_utilization_threshold"),
            "expected a fraction in (0, 1], e.g. 0.5",
        );
    }
    if a.max_nodes_per_scaleup == 0 {
        cx.err(ap.field("max_nodes_per_scaleup"), "expected at least 1");
    }

    Settings {
        kubelet: KubeletConfig {
            max_concurrent_downloads: k.max_concurrent_downloads,
            pull_backoff: (k.image_pull_backoff.0, k.image_pull_backoff_max.0),
            create_backoff: (k.create_backoff.0, k.create_backoff_max.0),
            pull_timeout: k.pull_timeout.map(|d| d.0),
            linux_start_delay: k.linux_start_delay.0,
            windows_start_delay: k.windows_start_delay.0,
            hyperv_start_delay: k.hyperv_start_delay.0,
            hyperv_memory_overhead: k.hyperv_memory_overhead.0,
            strict_platform_match: k.strict_platform_match,
            registry_pull_qps: k.registry_pull_qps,
            registry_burst: k.registry_burst,
            gc_high_percent: k.image_gc_high_threshold,
            gc_low_percent: k.image_gc_low_threshold,
            gc_min_age: k.image_minimum_gc_age.0,
            evict_nodefs_percent: k.eviction_nodefs_available,
            evict_imagefs_percent: k.eviction_imagefs_available,
        },
        scheduler: SchedulerConfig {
            percentage_of_nodes_to_score: s.percentage_of_nodes_to_score,
            initial_backoff: s.pod_initial_backoff.0,
            max_backoff: s.pod_max_backoff.0.max(s.pod_initial_backoff.0),
            max_in_unschedulable: s.max_in_unschedulable.0,
            fit_scoring: super::resources::scoring(
                cx,
                s.scoring_strategy.as_ref(),
                &Path::root().field("scheduler").field("scoring_strategy"),
            ),
        },
        controllers: ControllerConfig {
            failed_pod_backoff: (
                raw.controllers.failed_pod_backoff.0.max(1),
                raw.controllers.failed_pod_backoff_max.0,
            ),
            node_monitor_grace: raw.controllers.node_monitor_grace_period.0,
        },
        autoscaler: AutoscalerConfig {
            scan_interval: a.scan_interval.0.max(1),
            expander: a
                .expander
                .or(crate::scenario::presets::expander(raw.preset))
                .unwrap_or(crate::scenario::defaults::CA_EXPANDER),
            max_nodes_per_scaleup: a.max_nodes_per_scaleup.max(1),
            max_node_provision_time: a.max_node_provision_time.0,
            initial_backoff: a.initial_backoff.0,
            max_backoff: a.max_backoff.0.max(a.initial_backoff.0),
            scale_down_enabled: a.scale_down_enabled,
            scale_down_utilization_threshold: a.scale_down_utilization_threshold,
            scale_down_unneeded_time: a.scale_down_unneeded_time.0,
            scale_down_delay_after_add: a.scale_down_delay_after_add.0,
            scale_down_delay_after_delete: a.scale_down_delay_after_delete.0,
            scale_down_delay_after_failure: a.scale_down_delay_after_failure.0,
            max_empty_bulk_delete: a.max_empty_bulk_delete.max(1),
        },
        global_parallel: if serialize {
            1
        } else {
            k.max_parallel_image_pulls.unwrap_or(u32::MAX)
        },
    }
}

/// `registryPullQPS` and `registryBurst` as the kubelet's config validation checks them (k/k
/// `pkg/kubelet/apis/config/validation/validation.go`: neither negative), plus a burst of at
/// least 1 when the QPS limits: a bucket of 0 tokens refuses every pull.
fn check_registry_qps(cx: &mut Ctx, k: &raw::KubeletSettings, kp: &Path) {
    if !(k.registry_pull_qps >= 0.0 && k.registry_pull_qps.is_finite()) {
        cx.err(
            kp.field("registry_pull_qps"),
            format!(
                "expected a non-negative number of pulls per second (0 = no limit), found {}",
                k.registry_pull_qps
            ),
        );
    } else if k.registry_pull_qps > 0.0 && k.registry_burst == 0 {
        cx.err(
            kp.field("registry_burst"),
            "expected at least 1 while registry_pull_qps limits pulls: a burst of 0 refuses \
             every pull (set registry_pull_qps: 0 for no limit)",
        );
    }
}

/// Image GC and disk eviction thresholds, as the kubelet's config validation checks them
/// (k/k `pkg/kubelet/apis/config/validation/validation.go`: each percentage in [0, 100], the
/// low threshold below the high one), plus what makes them usable here: an eviction threshold
/// of 100 % would evict on an empty disk.
fn check_disk_thresholds(cx: &mut Ctx, k: &raw::KubeletSettings, kp: &Path) {
    for (name, v) in [
        ("image_gc_high_threshold", k.image_gc_high_threshold),
        ("image_gc_low_threshold", k.image_gc_low_threshold),
    ] {
        if v > 100 {
            cx.err(
                kp.field(name),
                format!("expected a percentage from 0 to 100, found {v}"),
            );
        }
    }
    if k.image_gc_high_threshold <= 100 && k.image_gc_low_threshold >= k.image_gc_high_threshold {
        cx.err(
            kp.field("image_gc_low_threshold"),
            format!(
                "expected image_gc_low_threshold ({}) below image_gc_high_threshold ({}), as \
                 the kubelet's validation requires",
                k.image_gc_low_threshold, k.image_gc_high_threshold
            ),
        );
    }
    for (name, v) in [
        ("eviction_nodefs_available", k.eviction_nodefs_available),
        ("eviction_imagefs_available", k.eviction_imagefs_available),
    ] {
        if v >= 100 {
            cx.err(
                kp.field(name),
                format!("expected a percentage of available disk below 100, found {v}"),
            );
        }
    }
}
