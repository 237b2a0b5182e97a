//! Jobs and CronJobs (`batch/v1`) → the scenario's `kind: Job` workloads.
//!
//! Owns: the `JobSpec` fields the simulator models and the notes on those it does not; the run
//! time of a Job's pods (an annotation, else the Job's finished pods among the inputs, else a
//! stated default); the 5-field cron schedule as the CronJob controller parses it; each firing
//! within the scenario as a Job created then, with its `concurrencyPolicy`; and the wall-clock
//! instant the scenario's time 0 stands for. Does not own: pod templates and ownership
//! (`workloads`, which calls in here), unique workload names or the timeline (`mod.rs`).
//!
//! A manifest says what a Job runs, never how long: that is the one number the import cannot
//! read from a spec, so every Job says where its run time came from.

use super::k8s::{Kind, Object};
use crate::scenario::raw;
use crate::scenario::units::{self, Duration};
use k8s_openapi::api::batch::v1::JobSpec;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// The annotation that tells the import how long each pod of a Job runs (a duration such as
/// `"90s"` or `"10m"`), on the Job (or CronJob), its job template or its pod template.
pub const RUN_TIME_ANNOTATION: &str = "hybridsim.io/run-time";

/// The run time of a Job's pods when neither the annotation nor a finished pod tells it:
/// five minutes, a round figure with no source, stated with a warning wherever it is used.
pub const DEFAULT_RUN_TIME_MS: u64 = 5 * 60 * 1000;

/// What scenario time 0 is when no input carries a timestamp: 2024-01-01T00:00:00Z (a
/// Monday, at midnight UTC), so schedules read the same on every machine.
pub const DEFAULT_EPOCH_S: i64 = 1_704_067_200;

/// The API server's default `backoffLimit` (k/k `pkg/apis/batch/v1/defaults.go`).
const API_BACKOFF_LIMIT: i32 = 6;

// ---------------------------------------------------------------------------------------------
// Run times

/// How long one finished pod ran once its containers had started: from the latest container
/// `state.terminated.startedAt` (else `status.startTime`) to the latest `finishedAt`. The
/// simulator's `run_time` starts when the last container has started, after pulls, so the
/// container times are the closer match; `status.startTime` (the kubelet's admission) also
/// counts the pull and is the fallback only.
fn pod_run_ms(p: &Pod) -> Option<u64> {
    let st = p.status.as_ref()?;
    if st.phase.as_deref() != Some("Succeeded") {
        return None;
    }
    let terminated: Vec<_> = st
        .container_statuses
        .iter()
        .flatten()
        .filter_map(|c| c.state.as_ref()?.terminated.as_ref())
        .collect();
    let end = terminated
        .iter()
        .filter_map(|t| t.finished_at.as_ref())
        .map(|t| t.0.as_millisecond())
        .max()?;
    let start = terminated
        .iter()
        .filter_map(|t| t.started_at.as_ref())
        .map(|t| t.0.as_millisecond())
        .max()
        .or_else(|| st.start_time.as_ref().map(|t| t.0.as_millisecond()))?;
    u64::try_from(end - start).ok()
}

/// The run times of the finished pods of each Job, by (namespace, Job name), from the pods'
/// controller owner reference.
pub fn observed_run_times(objects: &[Object]) -> BTreeMap<(String, String), Vec<u64>> {
    let mut out: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
    for o in objects {
        let Kind::Pod(p) = &o.kind else { continue };
        let refs = p.metadata.owner_references.as_deref().unwrap_or_default();
        let Some(owner) = refs
            .iter()
            .find(|r| r.controller == Some(true))
            .or_else(|| refs.first())
            .filter(|r| r.kind == "Job")
        else {
            continue;
        };
        if let Some(ms) = pod_run_ms(p) {
            let ns = o.id.namespace.clone().unwrap_or_default();
            out.entry((ns, owner.name.clone())).or_default().push(ms);
        }
    }
    out
}

/// Whether `job` is named as the CronJob controller names the Jobs of `cronjob`:
/// `CRONJOB-MINUTES` (k/k `pkg/controller/cronjob/utils.go` `getJobName`).
pub fn spawned_by(job: &str, cronjob: &str) -> bool {
    job.strip_prefix(cronjob)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Where a run time came from, for the note.
pub enum RunTime {
    Annotation(u64),
    Observed {
        ms: u64,
        n: usize,
        min: u64,
        max: u64,
    },
    Default(u64),
}

impl RunTime {
    pub fn ms(&self) -> u64 {
        match *self {
            RunTime::Annotation(ms) | RunTime::Observed { ms, .. } | RunTime::Default(ms) => ms,
        }
    }

    /// The sentence the import states for this Job.
    pub fn note(&self) -> String {
        let f = units::format_duration_ms;
        match *self {
            RunTime::Annotation(ms) => format!(
                "each pod runs {} once its containers have started (annotation \
                 {RUN_TIME_ANNOTATION})",
                f(ms)
            ),
            RunTime::Observed { ms, n, min, max } => format!(
                "each pod runs {} once its containers have started: the median of the {n} \
                 finished pod(s) of it among the inputs (containers' startedAt → \
                 finishedAt; {} to {})",
                f(ms),
                f(min),
                f(max)
            ),
            RunTime::Default(ms) => format!(
                "WARNING: how long its pods run is not in the manifest and no finished pod of it \
                 is among the inputs; each pod is taken to run {} (the import's default); set \
                 the annotation {RUN_TIME_ANNOTATION} (e.g. \"10m\") or edit job.run_time",
                f(ms)
            ),
        }
    }
}

/// The run time of a Job's pods: the annotation on the first of `metas` (each with the path
/// it is reported under) that has it, else the median of `observed` (the lower middle value
/// for an even count, so it is one of them), else [`DEFAULT_RUN_TIME_MS`].
pub fn run_time(
    metas: &[(&str, Option<&ObjectMeta>)],
    observed: &[u64],
) -> Result<RunTime, String> {
    for (at, m) in metas {
        if let Some(v) = m
            .and_then(|m| m.annotations.as_ref())
            .and_then(|a| a.get(RUN_TIME_ANNOTATION))
        {
            let ms = units::parse_duration_ms(v)
                .map_err(|e| format!("{at}.annotations[\"{RUN_TIME_ANNOTATION}\"]: {e}"))?;
            if ms == 0 {
                return Err(format!(
                    "{at}.annotations[\"{RUN_TIME_ANNOTATION}\"]: expected a positive duration \
                     such as \"90s\", found {v:?}"
                ));
            }
            return Ok(RunTime::Annotation(ms));
        }
    }
    if observed.is_empty() {
        return Ok(RunTime::Default(DEFAULT_RUN_TIME_MS));
    }
    let mut v = observed.to_vec();
    v.sort_unstable();
    Ok(RunTime::Observed {
        ms: v[(v.len() - 1) / 2],
        n: v.len(),
        min: v[0],
        max: v[v.len() - 1],
    })
}

// ---------------------------------------------------------------------------------------------
// JobSpec

/// The modelled fields of a `JobSpec`: `Ok(Ok(job))`, `Ok(Err(why))` for a Job that creates
/// no pods (listed as skipped), `Err` for a spec the API server would refuse. `at` is the
/// path of the spec (`spec` or `spec.jobTemplate.spec`).
pub fn job(
    s: &JobSpec,
    at: &str,
    run_ms: u64,
    note: &mut dyn FnMut(String),
) -> Result<Result<raw::Job, String>, String> {
    let nonneg = |v: Option<i32>, field: &str| -> Result<Option<u32>, String> {
        v.map(|v| u32::try_from(v).map_err(|_| format!("{at}.{field}: {v} is negative")))
            .transpose()
    };
    let parallelism = nonneg(s.parallelism, "parallelism")?;
    let completions = nonneg(s.completions, "completions")?;
    let backoff_limit = nonneg(
        Some(s.backoff_limit.unwrap_or(API_BACKOFF_LIMIT)),
        "backoffLimit",
    )?
    .unwrap_or_default();
    let active_deadline = match s.active_deadline_seconds {
        None => None,
        Some(d) if d > 0 => Some(Duration::secs(d as u64)),
        // The API server requires a positive activeDeadlineSeconds (ValidateJobSpec).
        Some(d) => {
            return Err(format!(
                "{at}.activeDeadlineSeconds: {d} is not positive (the API server refuses it)"
            ));
        }
    };
    if s.suspend == Some(true) {
        return Ok(Err(format!(
            "{at}.suspend is true: the Job creates no pods until it is resumed"
        )));
    }
    // The API server defaults a missing parallelism to 1 (SetDefaults_Job).
    let parallelism = parallelism.unwrap_or(1);
    if parallelism == 0 {
        return Ok(Err(format!(
            "{at}.parallelism is 0: the Job creates no pods"
        )));
    }
    let completions = match completions {
        Some(0) => {
            return Ok(Err(format!(
                "{at}.completions is 0: the Job is complete without a pod"
            )));
        }
        Some(c) => c,
        // Neither set: the API server makes both 1 (SetDefaults_Job).
        None if s.parallelism.is_none() => 1,
        // A work-queue Job: it completes when one pod has succeeded and the others have
        // ended. With every pod running the same time, all `parallelism` pods succeed.
        None => {
            note(format!(
                "{at}.completions is not set (a work-queue Job): imported as completions = \
                 parallelism = {parallelism}, each pod succeeding once"
            ));
            parallelism
        }
    };
    if s.ttl_seconds_after_finished.is_some() {
        note(format!(
            "{at}.ttlSecondsAfterFinished is not modelled (removing a finished Job changes no \
             figure of a run)"
        ));
    }
    if s.completion_mode.as_deref() == Some("Indexed") {
        note(format!(
            "{at}.completionMode Indexed: the pods are alike in the simulator (indexes are not \
             modelled)"
        ));
    }
    for (set, field) in [
        (s.pod_failure_policy.is_some(), "podFailurePolicy"),
        (s.backoff_limit_per_index.is_some(), "backoffLimitPerIndex"),
        (s.success_policy.is_some(), "successPolicy"),
    ] {
        if set {
            note(format!(
                "{at}.{field} is not modelled: every failed pod counts against backoffLimit"
            ));
        }
    }
    if s.template
        .spec
        .as_ref()
        .and_then(|p| p.restart_policy.as_deref())
        == Some("OnFailure")
    {
        note(format!(
            "{at}.template.spec.restartPolicy OnFailure: a container that fails would restart \
             in place; the simulator's pods fail only at start, and such a failure is counted \
             and replaced as under Never"
        ));
    }
    Ok(Ok(raw::Job {
        completions,
        parallelism,
        backoff_limit,
        active_deadline,
        run_time: Duration(run_ms),
    }))
}

/// At least how long a Job takes: ⌈completions / parallelism⌉ rounds of `run_time`, with no
/// pull, queueing or failure (for `concurrencyPolicy: Forbid`).
pub fn min_duration_ms(j: &raw::Job) -> u64 {
    let rounds = j.completions.div_ceil(j.parallelism.max(1)) as u64;
    rounds.saturating_mul(j.run_time.0)
}

// ---------------------------------------------------------------------------------------------
// Time 0

/// The wall-clock second that scenario time 0 stands for: the latest timestamp among the
/// inputs (creation times, pod start and finish times, Job and CronJob status times), i.e.
/// when the dump was taken as far as it shows, else [`DEFAULT_EPOCH_S`]. With the instant
/// comes a description of where it came from.
pub fn epoch(objects: &[Object]) -> (i64, String) {
    let mut latest: Option<(i64, String)> = None;
    let mut see = |t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
                   what: &dyn Fn() -> String| {
        if let Some(t) = t {
            let s = t.0.as_second();
            if latest.as_ref().is_none_or(|(l, _)| s > *l) {
                latest = Some((s, what()));
            }
        }
    };
    for o in objects {
        let meta = match &o.kind {
            Kind::Deployment(d) => &d.metadata,
            Kind::ReplicaSet(r) => &r.metadata,
            Kind::StatefulSet(s) => &s.metadata,
            Kind::DaemonSet(d) => &d.metadata,
            Kind::Pod(p) => &p.metadata,
            Kind::RuntimeClass(r) => &r.metadata,
            Kind::PriorityClass(p) => &p.metadata,
            Kind::Node(n) => &n.metadata,
            Kind::HorizontalPodAutoscaler(h) => &h.metadata,
            Kind::Job(j) => &j.metadata,
            Kind::CronJob(c) => &c.metadata,
            Kind::PodDisruptionBudget(p) => &p.metadata,
            Kind::LimitRange(l) => &l.metadata,
            Kind::ConfigMap(c) => &c.metadata,
            Kind::ResourceQuota(q) => &q.metadata,
        };
        see(meta.creation_timestamp.as_ref(), &|| {
            format!("{} metadata.creationTimestamp", o.id)
        });
        match &o.kind {
            Kind::Pod(p) => {
                let st = p.status.as_ref();
                see(st.and_then(|s| s.start_time.as_ref()), &|| {
                    format!("{} status.startTime", o.id)
                });
                for c in st
                    .and_then(|s| s.container_statuses.as_ref())
                    .into_iter()
                    .flatten()
                {
                    let term = c.state.as_ref().and_then(|s| s.terminated.as_ref());
                    see(term.and_then(|t| t.finished_at.as_ref()), &|| {
                        format!("{} container {} finishedAt", o.id, c.name)
                    });
                }
            }
            Kind::Job(j) => {
                let st = j.status.as_ref();
                see(st.and_then(|s| s.start_time.as_ref()), &|| {
                    format!("{} status.startTime", o.id)
                });
                see(st.and_then(|s| s.completion_time.as_ref()), &|| {
                    format!("{} status.completionTime", o.id)
                });
            }
            Kind::CronJob(c) => {
                let st = c.status.as_ref();
                see(st.and_then(|s| s.last_schedule_time.as_ref()), &|| {
                    format!("{} status.lastScheduleTime", o.id)
                });
                see(st.and_then(|s| s.last_successful_time.as_ref()), &|| {
                    format!("{} status.lastSuccessfulTime", o.id)
                });
            }
            _ => {}
        }
    }
    match latest {
        Some((s, what)) => (s, format!("the latest timestamp among the inputs ({what})")),
        None => (
            DEFAULT_EPOCH_S,
            "no input carries a timestamp, so the import's fixed instant (a Monday at \
             midnight UTC)"
                .to_string(),
        ),
    }
}

/// A Unix second as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(s: i64) -> String {
    let c = civil(s);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        s.rem_euclid(60)
    )
}

// ---------------------------------------------------------------------------------------------
// Cron

/// A calendar time in UTC, as a schedule matches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    /// 0 = Sunday, as cron counts.
    pub weekday: u32,
}

/// The UTC calendar time of a Unix second (days to civil date: H. Hinnant's
/// `civil_from_days`, <https://howardhinnant.github.io/date_algorithms.html>).
pub fn civil(s: i64) -> Civil {
    let days = s.div_euclid(86_400);
    let secs = s.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (secs / 3600) as u32,
        minute: (secs / 60 % 60) as u32,
        // 1970-01-01 was a Thursday (4).
        weekday: (days + 4).rem_euclid(7) as u32,
    }
}

/// A parsed schedule: one bit per allowed value of each field, and whether the day-of-month
/// and day-of-week fields were `*` (robfig/cron's `starBit`), which decides how they combine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    dom_star: bool,
    dow_star: bool,
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 6,
        names: &DAYS,
    },
];

impl Field {
    fn value(&self, s: &str) -> Result<u32, String> {
        let lower = s.to_ascii_lowercase();
        if let Some(i) = self.names.iter().position(|n| *n == lower) {
            // Month names count from 1, day names from 0 (Sunday).
            return Ok(i as u32 + self.min);
        }
        s.parse::<u32>()
            .map_err(|_| format!("{} field: {s:?} is not a number{}", self.name, self.hint()))
    }

    fn hint(&self) -> String {
        if self.names.is_empty() {
            String::new()
        } else {
            format!(" or a name ({} …)", self.names[..3].join(", "))
        }
    }

    /// One comma-separated part: `*`, `?`, `N`, `A-B`, each optionally `/STEP`, as
    /// robfig/cron v3 `getRange` reads it. Returns the bits and whether it was a plain `*`.
    fn range(&self, part: &str) -> Result<(u64, bool), String> {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        let (mut start, mut end, mut star) = if range == "*" || range == "?" {
            (self.min, self.max, true)
        } else {
            match range.split_once('-') {
                Some((a, b)) => {
                    if b.contains('-') {
                        return Err(format!("{} field: too many hyphens in {part:?}", self.name));
                    }
                    (self.value(a)?, self.value(b)?, false)
                }
                None => {
                    let v = self.value(range)?;
                    (v, v, false)
                }
            }
        };
        let step = match step {
            None => 1,
            Some(s) => {
                let n: u32 = s.parse().map_err(|_| {
                    format!(
                        "{} field: step {s:?} in {part:?} is not a number",
                        self.name
                    )
                })?;
                if n == 0 {
                    return Err(format!(
                        "{} field: step of {part:?} should be a positive number",
                        self.name
                    ));
                }
                // "N/STEP" means N to the maximum by STEP.
                if !star && !range.contains('-') {
                    end = self.max;
                }
                // `*/2` is not "every value": robfig clears the star bit for steps above 1.
                if n > 1 {
                    star = false;
                }
                n
            }
        };
        if start < self.min {
            return Err(format!(
                "{} field: {start} in {part:?} is below the minimum {}",
                self.name, self.min
            ));
        }
        if end > self.max {
            return Err(format!(
                "{} field: {end} in {part:?} is above the maximum {}",
                self.name, self.max
            ));
        }
        if start > end {
            return Err(format!(
                "{} field: {part:?} starts after it ends",
                self.name
            ));
        }
        let mut bits = 0u64;
        while start <= end {
            bits |= 1 << start;
            start += step;
        }
        Ok((bits, star))
    }

    fn parse(&self, f: &str) -> Result<(u64, bool), String> {
        let mut bits = 0;
        let mut star = false;
        for part in f.split(',') {
            let (b, s) = self.range(part)?;
            bits |= b;
            star |= s;
        }
        Ok((bits, star))
    }
}

impl Schedule {
    /// Parses a CronJob's `spec.schedule` as the API server and the CronJob controller do
    /// (robfig/cron v3 `ParseStandard`: five fields, or a predefined `@yearly`, `@annually`,
    /// `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`). The API server refuses `TZ=`
    /// and `CRON_TZ=` prefixes (use `timeZone`); `@every` is accepted upstream but not here.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let s = s.trim();
        if s.contains("TZ") {
            return Err(
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead (the API \
                 server refuses it)"
                    .into(),
            );
        }
        let expanded = match s {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            d if d.starts_with("@every") => {
                return Err(format!(
                    "{d:?}: @every runs relative to the controller's start, which the import \
                     cannot place; write it as a 5-field schedule (e.g. \"*/10 * * * *\")"
                ));
            }
            d if d.starts_with('@') => {
                return Err(format!(
                    "{d:?} is not a predefined schedule (@yearly, @annually, @monthly, @weekly, \
                     @daily, @midnight, @hourly)"
                ));
            }
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "{s:?}: expected exactly 5 fields (minute hour day-of-month month day-of-week), \
                 found {}",
                fields.len()
            ));
        }
        let mut parsed = Vec::with_capacity(5);
        for (f, spec) in fields.iter().zip(&FIELDS) {
            parsed.push(spec.parse(f).map_err(|e| format!("{s:?}: {e}"))?);
        }
        Ok(Schedule {
            minute: parsed[0].0,
            hour: parsed[1].0,
            dom: parsed[2].0,
            month: parsed[3].0,
            dow: parsed[4].0,
            dom_star: parsed[2].1,
            dow_star: parsed[4].1,
        })
    }

    /// Whether the schedule fires at this minute. Day of month and day of week must both
    /// match when either is `*`; otherwise either may (robfig/cron v3 `dayMatches`, the
    /// Vixie cron rule).
    pub fn matches(&self, c: &Civil) -> bool {
        let bit = |set: u64, v: u32| set & (1 << v) != 0;
        let dom = bit(self.dom, c.day);
        let dow = bit(self.dow, c.weekday);
        let day = if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        };
        bit(self.minute, c.minute) && bit(self.hour, c.hour) && bit(self.month, c.month) && day
    }

    /// The Unix seconds of every firing strictly after `epoch_s` and before
    /// `epoch_s + span_ms`, in order (the controller's `Next` is strictly after the last
    /// check, at whole minutes).
    pub fn firings(&self, epoch_s: i64, span_ms: u64) -> Vec<i64> {
        let end_ms = (epoch_s as i128) * 1000 + span_ms as i128;
        let mut out = Vec::new();
        let mut m = epoch_s.div_euclid(60) + 1;
        while (m as i128) * 60_000 < end_ms {
            if self.matches(&civil(m * 60)) {
                out.push(m * 60);
            }
            m += 1;
        }
        out
    }
}

/// One Job a CronJob creates within the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    /// `CRONJOB-MINUTES`, as the CronJob controller names it.
    pub name: String,
    /// Scenario time of its creation.
    pub at_ms: u64,
    /// `Replace`: when the next firing deletes it (a finished Job's deletion changes nothing).
    pub deleted_at_ms: Option<u64>,
}

/// The Jobs a CronJob creates between time 0 (`epoch_s`) and `span_ms`, under its
/// `concurrencyPolicy` (k/k `pkg/controller/cronjob/cronjob_controllerv2.go`):
/// `Allow` creates one at every firing; `Replace` deletes the previous Job at the next firing
/// (if it still runs) and creates the new one; `Forbid` skips a firing while the previous Job
/// runs. The import cannot know when a simulated Job will end, so `Forbid` skips the firings
/// within the previous Job's shortest possible duration ([`min_duration_ms`]: no pull, no
/// queueing, no failure), stated with the skipped firings.
pub fn firings(
    cronjob: &str,
    schedule: &Schedule,
    policy: &str,
    min_job_ms: u64,
    epoch_s: i64,
    span_ms: u64,
) -> (Vec<Firing>, Vec<u64>) {
    let mut out: Vec<Firing> = Vec::new();
    let mut forbidden = Vec::new();
    for s in schedule.firings(epoch_s, span_ms) {
        let at_ms = ((s - epoch_s) * 1000) as u64;
        if policy == "Forbid"
            && let Some(prev) = out.last()
            && at_ms < prev.at_ms.saturating_add(min_job_ms)
        {
            forbidden.push(at_ms);
            continue;
        }
        if policy == "Replace"
            && let Some(prev) = out.last_mut()
        {
            prev.deleted_at_ms = Some(at_ms);
        }
        out.push(Firing {
            name: format!("{cronjob}-{}", s.div_euclid(60)),
            at_ms,
            deleted_at_ms: None,
        });
    }
    (out, forbidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        // Seconds from the civil date, by counting days forward from a known Monday:
        // 2024-01-01T00:00:00Z = 1704067200 (DEFAULT_EPOCH_S).
        assert!(y == 2024, "the helper counts within 2024 only");
        let month_days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let days: u32 = month_days[..(mo - 1) as usize].iter().sum::<u32>() + d - 1;
        DEFAULT_EPOCH_S + i64::from(days) * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60
    }

    #[test]
    fn civil_time_of_known_instants() {
        // 1704067200 is 2024-01-01T00:00:00Z, a Monday (weekday 1).
        assert_eq!(
            civil(DEFAULT_EPOCH_S),
            Civil {
                year: 2024,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                weekday: 1
            }
        );
        // 2024-02-29 (leap day) 13:45 is 59 days after Jan 1: a Thursday (1 + 59 = 60 ≡ 4).
        assert_eq!(
            civil(at(2024, 2, 29, 13, 45)),
            Civil {
                year: 2024,
                month: 2,
                day: 29,
                hour: 13,
                minute: 45,
                weekday: 4
            }
        );
        // Unix 0 is 1970-01-01, a Thursday.
        assert_eq!(civil(0).weekday, 4);
        assert_eq!(
            rfc3339(DEFAULT_EPOCH_S + 3 * 3600 + 7 * 60 + 9),
            "2024-01-01T03:07:09Z"
        );
    }

    #[test]
    fn every_five_minutes_fires_twelve_times_in_an_hour_strictly_after_time_0() {
        let s = Schedule::parse("*/5 * * * *").unwrap();
        // From 10:17:32: the next multiples of 5 minutes are 10:20 … 11:15 (12 of them;
        // 11:20 is past the hour at 11:17:32).
        let t0 = at(2024, 3, 5, 10, 17) + 32;
        let f = s.firings(t0, 3_600_000);
        assert_eq!(f.len(), 12);
        assert_eq!(f[0] - t0, 148, "10:20:00 − 10:17:32");
        assert_eq!(f[11], at(2024, 3, 5, 11, 15));
        // From exactly 10:20:00 the firing at 10:20 itself is not taken (strictly after).
        let f = s.firings(at(2024, 3, 5, 10, 20), 600_000);
        assert_eq!(f, vec![at(2024, 3, 5, 10, 25)]);
    }

    #[test]
    fn day_of_month_and_day_of_week_combine_as_vixie_cron() {
        // "0 0 13 * 5": both restricted → either: the 13th (a Wednesday in March 2024) or any
        // Friday (8th, 15th).
        let s = Schedule::parse("0 0 13 * fri").unwrap();
        assert!(s.matches(&civil(at(2024, 3, 13, 0, 0))));
        assert!(s.matches(&civil(at(2024, 3, 8, 0, 0))));
        assert!(!s.matches(&civil(at(2024, 3, 12, 0, 0))));
        // "0 0 * * 5": day of month is `*` → both must match: Fridays only.
        let s = Schedule::parse("0 0 * * 5").unwrap();
        assert!(!s.matches(&civil(at(2024, 3, 13, 0, 0))));
        assert!(s.matches(&civil(at(2024, 3, 8, 0, 0))));
        // "0 0 */2 * 5": a step clears the star bit → either: odd days or Fridays; the 8th is
        // a Friday, the 9th odd, the 10th (a Sunday) neither.
        let s = Schedule::parse("0 0 */2 * 5").unwrap();
        assert!(s.matches(&civil(at(2024, 3, 8, 0, 0))));
        assert!(s.matches(&civil(at(2024, 3, 9, 0, 0))));
        assert!(!s.matches(&civil(at(2024, 3, 10, 0, 0))));
    }

    #[test]
    fn ranges_lists_steps_names_and_descriptors_parse_as_robfig_does() {
        // "5/20" is 5, 25, 45 (N/STEP runs to the maximum); "1-3,jul" months 1, 2, 3, 7.
        let s = Schedule::parse("5/20 9-17/4 * 1-3,JUL *").unwrap();
        assert_eq!(s.minute, (1 << 5) | (1 << 25) | (1 << 45));
        assert_eq!(s.hour, (1 << 9) | (1 << 13) | (1 << 17));
        assert_eq!(s.month, (1 << 1) | (1 << 2) | (1 << 3) | (1 << 7));
        assert_eq!(Schedule::parse("@daily"), Schedule::parse("0 0 * * *"));
        assert_eq!(Schedule::parse("@weekly"), Schedule::parse("0 0 * * sun"));
    }

    #[test]
    fn malformed_schedules_say_what_is_wrong() {
        for (s, expect) in [
            ("* * * *", "expected exactly 5 fields"),
            (
                "60 * * * *",
                "minute field: 60 in \"60\" is above the maximum 59",
            ),
            (
                "* * 0 * *",
                "day of month field: 0 in \"0\" is below the minimum 1",
            ),
            ("*/0 * * * *", "step of \"*/0\" should be a positive number"),
            (
                "* * * * 7",
                "day of week field: 7 in \"7\" is above the maximum 6",
            ),
            ("5-1 * * * *", "starts after it ends"),
            (
                "* * * foo *",
                "month field: \"foo\" is not a number or a name",
            ),
            ("CRON_TZ=UTC 0 * * * *", "use timeZone field instead"),
            ("@every 5m", "@every"),
        ] {
            let e = Schedule::parse(s).unwrap_err();
            assert!(e.contains(expect), "{s}: {e}");
        }
    }

    #[test]
    fn concurrency_policies_decide_which_firings_become_jobs() {
        let s = Schedule::parse("*/10 * * * *").unwrap();
        let t0 = at(2024, 1, 1, 0, 0);
        // Firings at 10, 20, 30, 40, 50 min (60 min is the end, not before it).
        let (all, _) = firings("cj", &s, "Allow", 25 * 60_000, t0, 3_600_000);
        let at_min: Vec<u64> = all.iter().map(|f| f.at_ms / 60_000).collect();
        assert_eq!(at_min, vec![10, 20, 30, 40, 50]);
        // Named CRONJOB-MINUTES: 2024-01-01T00:10Z is 1704067800 s = 28401130 min.
        assert_eq!(all[0].name, "cj-28401130");
        // Forbid with a job of at least 25 min: 10 kept, 20 and 30 within 10+25, 40 kept,
        // 50 within 40+25.
        let (kept, skipped) = firings("cj", &s, "Forbid", 25 * 60_000, t0, 3_600_000);
        assert_eq!(
            kept.iter().map(|f| f.at_ms / 60_000).collect::<Vec<_>>(),
            vec![10, 40]
        );
        assert_eq!(
            skipped.iter().map(|t| t / 60_000).collect::<Vec<_>>(),
            vec![20, 30, 50]
        );
        // Replace: every firing, each Job deleted at the next firing, the last never.
        let (rep, _) = firings("cj", &s, "Replace", 25 * 60_000, t0, 3_600_000);
        let del: Vec<Option<u64>> = rep
            .iter()
            .map(|f| f.deleted_at_ms.map(|t| t / 60_000))
            .collect();
        assert_eq!(del, vec![Some(20), Some(30), Some(40), Some(50), None]);
    }

    #[test]
    fn the_run_time_median_is_one_of_the_observed_values() {
        // Sorted 60, 90, 120, 600 s: the lower middle (index 1) is 90 s.
        let r = run_time(&[], &[600_000, 60_000, 120_000, 90_000]).unwrap();
        assert_eq!(r.ms(), 90_000);
        assert_eq!(run_time(&[], &[]).unwrap().ms(), DEFAULT_RUN_TIME_MS);
    }
}
