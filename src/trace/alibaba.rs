//! Alibaba cluster-trace-v2018 `batch_task.csv` → trace pods.
//!
//! Schema (alibaba/clusterdata, cluster-trace-v2018/schema.md, section 1.5), no header, nine
//! columns: `task_name, instance_num, job_name, task_type, status, start_time, end_time,
//! plan_cpu, plan_mem`. Times are seconds from the start of the trace; `plan_cpu` is in
//! hundredths of a core (100 = 1 core); `plan_mem` is normalised to [0, 100] of a machine's
//! memory, which the trace does not give in bytes, so the caller supplies it.
//!
//! One task row becomes `instance_num` pods that all arrive at `start_time` and run for
//! `end_time - start_time`: the task table gives only the task's window, not each instance's
//! (that is `batch_instance`, 1.3 billion rows). Only `Terminated` tasks with both times set
//! become pods; other rows are counted by reason and skipped. docs/traces.md has the full
//! mapping.

use super::read::csv_error;
use super::{TraceError, TraceOs, TracePod};
use crate::scenario::trace::limit::LineLimit;
use std::collections::BTreeMap;
use std::io::Read;

/// Scaling the normalised columns need.
#[derive(Clone, Copy, Debug)]
pub struct AlibabaOptions {
    /// The memory that `plan_mem = 100` stands for, in bytes.
    pub node_memory_bytes: u64,
}

const COLUMNS: [&str; 9] = [
    "task_name",
    "instance_num",
    "job_name",
    "task_type",
    "status",
    "start_time",
    "end_time",
    "plan_cpu",
    "plan_mem",
];

/// Streams pods out of a `batch_task` file, in file order (not arrival order).
pub struct BatchTaskReader<R: Read> {
    csv: csv::Reader<LineLimit<R>>,
    record: csv::StringRecord,
    file: String,
    opts: AlibabaOptions,
    /// The task being expanded: its pod template, instances left, next instance index.
    pending: Option<(TracePod, u64, u64)>,
    /// Rows skipped, by reason (ordered, so reports are deterministic).
    pub skipped: BTreeMap<&'static str, u64>,
    pub rows: u64,
    done: bool,
}

impl<R: Read> BatchTaskReader<R> {
    pub fn new(reader: R, file: &str, opts: AlibabaOptions) -> Self {
        BatchTaskReader {
            csv: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(LineLimit::new(reader)),
            record: csv::StringRecord::new(),
            file: file.to_string(),
            opts,
            pending: None,
            skipped: BTreeMap::new(),
            rows: 0,
            done: false,
        }
    }

    fn next_pod(&mut self) -> Result<Option<TracePod>, TraceError> {
        loop {
            if let Some((tpl, left, index)) = &mut self.pending {
                let mut pod = tpl.clone();
                pod.name.push_str(&index.to_string());
                *index += 1;
                *left -= 1;
                if *left == 0 {
                    self.pending = None;
                }
                return Ok(Some(pod));
            }
            if !self
                .csv
                .read_record(&mut self.record)
                .map_err(|e| csv_error(&self.file, e))?
            {
                return Ok(None);
            }
            let line = self.record.position().map_or(0, |p| p.line());
            if self.record.len() != COLUMNS.len() {
                return Err(TraceError::new(
                    &self.file,
                    line,
                    None,
                    format!(
                        "expected the {} columns of batch_task ({}), found {}",
                        COLUMNS.len(),
                        COLUMNS.join(", "),
                        self.record.len()
                    ),
                ));
            }
            // The published files have no header; accept one if a user added it.
            if line == 1 && &self.record[0] == "task_name" {
                continue;
            }
            self.rows += 1;
            if let Some(reason) = self.task()? {
                *self.skipped.entry(reason).or_default() += 1;
            }
        }
    }

    /// Turns the current row into `pending`, or returns why it is skipped.
    fn task(&mut self) -> Result<Option<&'static str>, TraceError> {
        let r = &self.record;
        let line = r.position().map_or(0, |p| p.line());
        let err = |col: usize, what: &str| {
            TraceError::new(
                &self.file,
                line,
                Some(COLUMNS[col]),
                format!("expected {what}, found `{}`", &r[col]),
            )
        };
        if r[4].trim() != "Terminated" {
            return Ok(Some("status is not Terminated"));
        }
        let int = |col: usize| -> Result<Option<i64>, TraceError> {
            let s = r[col].trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse().map(Some).map_err(|_| err(col, "an integer"))
        };
        let (Some(start), Some(end)) = (int(5)?, int(6)?) else {
            return Ok(Some("start_time or end_time empty"));
        };
        // 0 is how the trace marks a time it did not record.
        if start <= 0 || end <= 0 {
            return Ok(Some("start_time or end_time 0 (not recorded)"));
        }
        if end < start {
            return Ok(Some("end_time before start_time"));
        }
        let instances = match int(1)? {
            Some(n) if n > 0 => n as u64,
            _ => return Ok(Some("instance_num empty or 0")),
        };
        let num = |col: usize| -> Result<Option<f64>, TraceError> {
            let s = r[col].trim();
            if s.is_empty() {
                return Ok(None);
            }
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                _ => Err(err(col, "a number ≥ 0")),
            }
        };
        let (Some(plan_cpu), Some(plan_mem)) = (num(7)?, num(8)?) else {
            return Ok(Some("plan_cpu or plan_mem empty"));
        };
        let mut name = String::with_capacity(r[2].len() + r[0].len() + 8);
        name.push_str(r[2].trim());
        name.push('-');
        name.push_str(r[0].trim());
        name.push('-');
        let pod = TracePod {
            arrival_ms: start as u64 * 1000,
            // 100 = 1 core = 1000 millicores: one plan_cpu unit is 10 millicores.
            cpu_millis: (plan_cpu * 10.0).round() as u64,
            memory_bytes: (plan_mem / 100.0 * self.opts.node_memory_bytes as f64).round() as u64,
            duration_ms: (end - start) as u64 * 1000,
            // Fuxi batch instances are Linux processes.
            os: Some(TraceOs::Linux),
            name,
            ..TracePod::default()
        };
        self.pending = Some((pod, instances, 0));
        Ok(None)
    }
}

impl<R: Read> Iterator for BatchTaskReader<R> {
    type Item = Result<TracePod, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.next_pod().transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}
