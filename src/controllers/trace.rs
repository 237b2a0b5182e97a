//! Trace pods: created one by one at their arrival, run for their own duration, never
//! replaced.
//!
//! Owns: creating a trace pod (`trace_arrival`). Does not own: when pods arrive (the
//! simulation pulls them from the scenario's `ArrivalSource` as its clock reaches them), a
//! pod's run (the kubelet schedules `Event::PodSucceeded` `run_ms` after its containers
//! started) or its end (`pod_succeeded` in `job` marks it and frees its node).
//!
//! The trace's workload (kind `Trace`) is never active: no sync, no replacement, no HPA, and
//! no list of its pods is kept, so a trace costs per live pod and not per trace row. A trace
//! records what a cluster ran; a pod that fails here is a result, not something to retry (as
//! for a bare Pod).
//!
//! Each pod is created exactly as the Job controller creates the pod of a one-pod Job (same
//! recorder calls, same `Effect::Enqueue`, `run_ms` set), so a trace and its encoding as one
//! Job per row give the same run (tests/traces.rs).

use super::Controllers;
use crate::effect::{Ctx, Effect};
use crate::model::cluster::{Pod, PodPhase, Reason};
use crate::model::trace::TraceArrival;
use crate::model::*;

impl Controllers {
    /// A trace pod arrives: it is created Pending (named `trace-N` by arrival order) and
    /// queued for scheduling, or rejected if its template cannot be admitted.
    pub fn trace_arrival(&mut self, cx: &mut Ctx, wl: WorkloadId, a: TraceArrival) -> PodId {
        let now = cx.now;
        let ws = &mut self.workloads[wl.idx()];
        let id = PodId::from_idx(cx.cluster.pods.len());
        let mut pod = Pod::new(wl, a.template, ws.next_ordinal, None, now);
        ws.next_ordinal += 1;
        pod.run_ms = Some(a.run_ms);
        cx.rec.pod_created(&pod);
        if let Some(err) = &cx.spec.template(a.template).admission_error {
            // RuntimeClass admission rejects the pod at the API server, as `create_pod` does.
            let m = cx.messages.intern(err);
            cx.rec.failure(&mut pod, Reason::RuntimeClassConflict, m);
            cx.rec.set_phase(&mut pod, PodPhase::Rejected);
            pod.ended = Some(now);
            cx.cluster.pods.push(pod);
            return id;
        }
        cx.cluster.pods.push(pod);
        cx.push(Effect::Enqueue(id));
        id
    }
}
