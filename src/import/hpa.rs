//! HorizontalPodAutoscalers (`autoscaling/v2`) → a workload's `hpa`.
//!
//! Owns: finding the HPA's target among the imported workloads, and mapping its metric onto
//! the simulator's load model, with every assumption stated. Does not own: the HPA algorithm
//! (`autoscaler::hpa`) or workload names (`mod.rs`).
//!
//! The load model: one number of load, spread over Ready pods, against a per-pod target. A
//! `Resource` metric (cpu or memory) with `averageUtilization` U maps to load in "percent of
//! one pod's request": `capacity_per_pod` 100 and `target_utilization` U / 100. With
//! `averageValue` V the unit is the metric's own (millicores, bytes): `capacity_per_pod` V,
//! `target_utilization` 1. The load is constant: `status.currentMetrics` (the value the
//! controller last saw) × `status.currentReplicas` when the object has a status, else the
//! target × the workload's replicas (a cluster at its target; stated). Only the first
//! supported metric is used: upstream takes the largest proposal over all metrics, which
//! needs their loads too.

use super::Assumptions;
use super::k8s::Object;
use super::quantity;
use crate::scenario::raw;
use crate::scenario::units::Duration;
use k8s_openapi::api::autoscaling::v2;

/// The scenario `hpa` for `h`, whose target has `replicas` replicas; `Err` says why it cannot
/// be mapped (the HPA is then listed as skipped).
pub fn map(
    o: &Object,
    h: &v2::HorizontalPodAutoscaler,
    replicas: u32,
    asm: &mut Assumptions,
) -> Result<raw::Hpa, String> {
    let subject = o.id.to_string();
    let s = &h.spec;
    let min = s.min_replicas.unwrap_or(1);
    if min < 1 || s.max_replicas < min {
        return Err(format!(
            "spec.minReplicas {min} and spec.maxReplicas {} are not 1 ≤ min ≤ max",
            s.max_replicas
        ));
    }
    let metrics = s.metrics.as_deref().unwrap_or_default();
    // The API server defaults an HPA without metrics to cpu at 80 % utilisation.
    let default_metric = [v2::MetricSpec {
        type_: "Resource".into(),
        resource: Some(v2::ResourceMetricSource {
            name: "cpu".into(),
            target: v2::MetricTarget {
                type_: "Utilization".into(),
                average_utilization: Some(80),
                ..Default::default()
            },
        }),
        ..Default::default()
    }];
    let metrics = if metrics.is_empty() {
        asm.add(
            &subject,
            "no spec.metrics: the API server's default, cpu at 80 % utilization",
        );
        &default_metric[..]
    } else {
        metrics
    };
    let Some((i, res)) = metrics.iter().enumerate().find_map(|(i, m)| {
        m.resource
            .as_ref()
            .filter(|_| m.type_ == "Resource")
            .map(|r| (i, r))
    }) else {
        return Err(
            "no Resource metric (cpu or memory): Pods, Object, External and ContainerResource \
             metrics have no load in the inputs to map"
                .into(),
        );
    };
    if metrics.len() > 1 {
        asm.add(
            &subject,
            format!(
                "{} metrics; only spec.metrics[{i}] ({} {}) is modelled (upstream scales to the \
                 largest proposal of all)",
                metrics.len(),
                res.name,
                res.target.type_
            ),
        );
    }
    let current = h.status.as_ref().and_then(|st| {
        let replicas = st.current_replicas?;
        let m = st
            .current_metrics
            .iter()
            .flatten()
            .find_map(|m| m.resource.as_ref().filter(|r| r.name == res.name))?;
        Some((replicas.max(0) as f64, &m.current))
    });
    let (capacity, target, load) = match (res.target.average_utilization, &res.target.average_value)
    {
        (Some(u), _) if u > 0 => {
            let load = match current.and_then(|(r, c)| c.average_utilization.map(|v| r * v as f64))
            {
                Some(l) => {
                    asm.add(
                        &subject,
                        format!(
                            "load held at status.currentMetrics × currentReplicas = {l} (percent \
                             of one pod's {} request) for the whole run",
                            res.name
                        ),
                    );
                    l
                }
                None => at_target(&subject, asm, replicas, u as f64),
            };
            (100.0, u as f64 / 100.0, load)
        }
        (_, Some(q)) => {
            let v = metric_value(&res.name, &q.0)?;
            if v <= 0.0 {
                return Err("spec.metrics averageValue must be positive".into());
            }
            let load = match current.and_then(|(r, c)| {
                c.average_value
                    .as_ref()
                    .and_then(|q| metric_value(&res.name, &q.0).ok())
                    .map(|v| r * v)
            }) {
                Some(l) => l,
                None => at_target(&subject, asm, replicas, v),
            };
            (v, 1.0, load)
        }
        _ => {
            return Err(format!(
                "spec.metrics[{i}].resource.target: expected averageUtilization or averageValue"
            ));
        }
    };
    let behavior = s.behavior.as_ref().map(behavior).transpose()?;
    Ok(raw::Hpa {
        min_replicas: min as u32,
        max_replicas: s.max_replicas as u32,
        load: raw::Load::Points(vec![(Duration(0), load)]),
        capacity_per_pod: capacity,
        target_utilization: target,
        tolerance: crate::scenario::defaults::HPA_TOLERANCE,
        sync_period: Duration(crate::scenario::defaults::HPA_SYNC_PERIOD_MS),
        scale_up_stabilization: Duration(0),
        scale_down_stabilization: Duration(
            crate::scenario::defaults::HPA_SCALE_DOWN_STABILIZATION_MS,
        ),
        behavior,
    })
}

fn at_target(subject: &str, asm: &mut Assumptions, replicas: u32, target: f64) -> f64 {
    let load = replicas as f64 * target;
    asm.add(
        subject,
        format!(
            "no status.currentMetrics: load assumed at the target ({replicas} replicas × \
             {target} = {load}), so the HPA holds the count; set hpa.load to a curve"
        ),
    );
    load
}

/// A resource metric's value in the simulator's units: cpu in millicores, memory in bytes.
fn metric_value(name: &str, q: &str) -> Result<f64, String> {
    match name {
        "cpu" => quantity::cpu_millis(q).map(|v| v as f64),
        _ => quantity::bytes(q).map(|v| v as f64),
    }
    .map_err(|e| format!("spec.metrics {name}: {e}"))
}

fn behavior(b: &v2::HorizontalPodAutoscalerBehavior) -> Result<raw::HpaBehavior, String> {
    Ok(raw::HpaBehavior {
        scale_up: b
            .scale_up
            .as_ref()
            .map(|r| rules(r, "scaleUp"))
            .transpose()?,
        scale_down: b
            .scale_down
            .as_ref()
            .map(|r| rules(r, "scaleDown"))
            .transpose()?,
    })
}

fn rules(r: &v2::HPAScalingRules, side: &str) -> Result<raw::ScalingRules, String> {
    use crate::model::{PolicyKind, SelectPolicy};
    let at = format!("spec.behavior.{side}");
    let select_policy = match r.select_policy.as_deref() {
        None => None,
        Some("Max") => Some(SelectPolicy::Max),
        Some("Min") => Some(SelectPolicy::Min),
        Some("Disabled") => Some(SelectPolicy::Disabled),
        Some(o) => {
            return Err(format!(
                "{at}.selectPolicy: unknown value \"{o}\" (Max, Min or Disabled)"
            ));
        }
    };
    let policies = match &r.policies {
        None => None,
        Some(ps) => Some(
            ps.iter()
                .enumerate()
                .map(|(i, p)| {
                    let kind = match p.type_.as_str() {
                        "Pods" => PolicyKind::Pods,
                        "Percent" => PolicyKind::Percent,
                        o => {
                            return Err(format!(
                                "{at}.policies[{i}].type: unknown value \"{o}\" (Pods or Percent)"
                            ));
                        }
                    };
                    let value = u32::try_from(p.value).map_err(|_| {
                        format!("{at}.policies[{i}].value: {} is negative", p.value)
                    })?;
                    let period = u64::try_from(p.period_seconds).map_err(|_| {
                        format!(
                            "{at}.policies[{i}].periodSeconds: {} is negative",
                            p.period_seconds
                        )
                    })?;
                    Ok(raw::ScalingPolicy {
                        kind,
                        value,
                        period: Duration::secs(period),
                    })
                })
                .collect::<Result<Vec<_>, String>>()?,
        ),
    };
    let stabilization_window = match r.stabilization_window_seconds {
        None => None,
        Some(s) => Some(Duration::secs(u64::try_from(s).map_err(|_| {
            format!("{at}.stabilizationWindowSeconds: {s} is negative")
        })?)),
    };
    Ok(raw::ScalingRules {
        stabilization_window,
        select_policy,
        policies,
    })
}
