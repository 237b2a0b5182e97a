#!/usr/bin/env bash
# Runs deploy/slurm/sweep.sbatch on a real, single-host Slurm and checks that merging its shards
# gives exactly (byte for byte) what one machine's `compare` writes.
#
#   HYBRIDSIM=target/release/hybridsim bash deploy/slurm/local-test.sh
#
# What it does: installs Slurm and MUNGE from Debian's packages if they are missing (needs root
# and apt-get), starts munged, slurmctld and slurmd on localhost with a minimal slurm.conf in a
# temporary directory (own ports and sockets; the system's configuration is not touched),
# submits the job array of `hybridsim compare scenarios/taint-strategies.ron --seeds 6
# --shard K/3` (K = 0, 1, 2), waits for it (bounded), runs `hybridsim merge`, and compares the
# merged files with `hybridsim compare scenarios/taint-strategies.ron --seeds 6`. Then it stops
# the daemons it started and removes the directory (KEEP=1 keeps it, for the logs).
#
# Exit codes: 0 the merged files equal the single run; 1 they differ, or a job failed or timed
# out; 77 Slurm cannot be brought up on this machine (no root, no apt-get, no network, a daemon
# that does not start): the reason is printed on stderr, prefixed with "BLOCKED:".
# Run by tests/deploy.rs when HYBRIDSIM_SLURM_TEST is set (docs/distributed.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

blocked() {
    echo "BLOCKED: $*" >&2
    exit 77
}
fail() {
    echo "FAILED: $*" >&2
    exit 1
}

bin=${HYBRIDSIM:-target/release/hybridsim}
[[ -x $bin ]] || fail "no hybridsim binary at $bin (build it, or set HYBRIDSIM)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
shards=3
seeds=6
scenario=scenarios/taint-strategies.ron
# Bounded waits, so a stuck daemon or job cannot hold CI.
node_timeout=${SLURM_NODE_TIMEOUT:-30}
job_timeout=${SLURM_JOB_TIMEOUT:-120}

# 1. Slurm and MUNGE from Debian's packages.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
    ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    [[ $(id -u) == 0 ]] || blocked "Slurm is not installed, and installing it needs root"
    command -v apt-get >/dev/null || blocked "Slurm is not installed, and there is no apt-get"
    echo "installing slurm-wlm and munge with apt-get"
    # Keep the packages' init scripts from starting the system's daemons (there may be no init
    # system; ours run from the temporary directory below): the usual policy-rc.d of containers.
    made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    ok=1
    apt-get update -qq || ok=0
    if [[ $ok == 1 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            slurm-wlm munge >/dev/null || ok=0
    fi
    [[ $made_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
    [[ $ok == 1 ]] || blocked "apt-get could not install slurm-wlm and munge (no network or no Debian repository?)"
fi
[[ $(id -u) == 0 ]] || blocked "slurmd must run as root to start jobs as their user"

# 2. A private single-host cluster.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hybridsim-slurm.XXXXXX")
started=()
cleanup() {
    if [[ -n ${jid:-} ]]; then scancel "$jid" 2>/dev/null || true; fi
    # Only the daemons this script started, by the pids they wrote; then wait (at most 10 s)
    # until they are gone, as slurmctld saves its state while it stops.
    local pids=()
    for p in "${started[@]}"; do
        if [[ -s $p ]]; then pids+=("$(cat "$p")"); fi
    done
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for ((w = 0; w < 100; w++)); do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [[ $alive == 0 ]] && break
        sleep 0.1
    done
    if [[ ${KEEP:-0} == 1 ]]; then
        echo "kept $tmp"
    else
        rm -rf "$tmp" || true
    fi
}
trap 'rc=$?; cleanup; exit $rc' EXIT
mkdir -p "$tmp"/{munge,state,spool,log,shards}
chmod 700 "$tmp/munge"
head -c 1024 /dev/urandom >"$tmp/munge/munge.key"
chmod 400 "$tmp/munge/munge.key"
sock=$tmp/munge/munge.sock
# --force: munged refuses, by default, a socket below a world-writable directory (/tmp).
munged --force --socket="$sock" --key-file="$tmp/munge/munge.key" \
    --log-file="$tmp/log/munged.log" --pid-file="$tmp/munge/munged.pid" \
    --seed-file="$tmp/munge/munged.seed" ||
    blocked "munged does not start: $(tail -n 5 "$tmp/log/munged.log" 2>/dev/null)"
started+=("$tmp/munge/munged.pid")
munge --socket="$sock" -n | unmunge --socket="$sock" >/dev/null ||
    blocked "munged runs but cannot encode and decode a credential"

host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
((mem_mb > 4096)) && mem_mb=4096
ctld_port=${SLURMCTLD_PORT:-16817}
d_port=${SLURMD_PORT:-16818}
# No cgroups: processes are tracked through /proc (proctrack/linuxproc) and tasks are not
# confined (task/none), so neither systemd nor a writable cgroup hierarchy is needed.
cat >"$tmp/slurm.conf" <<EOF
ClusterName=hybridsim-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld || blocked "slurmctld does not start: $(tail -n 5 "$tmp/log/slurmctld.log" 2>/dev/null)"
started+=("$tmp/slurmctld.pid")
slurmd || blocked "slurmd does not start: $(tail -n 5 "$tmp/log/slurmd.log" 2>/dev/null)"
started+=("$tmp/slurmd.pid")
state=
for ((i = 0; i < node_timeout; i++)); do
    state=$(sinfo -h -N -o %t 2>/dev/null || true)
    [[ $state == idle ]] && break
    sleep 1
done
[[ $state == idle ]] || blocked "the node is not idle after ${node_timeout}s (state \"$state\"): \
slurmctld: $(tail -n 3 "$tmp/log/slurmctld.log") slurmd: $(tail -n 3 "$tmp/log/slurmd.log")"
echo "slurm $(sinfo -V | cut -d' ' -f2): node $host idle ($cpus CPUs, ${mem_mb} MB)"

# 3. The job array, with the real batch script: N = 3 shards of 6 seeds.
jid=$(sbatch --parsable --array=0-$((shards - 1)) --output="$tmp/log/%x-%A_%a.out" \
    --mem=256M --export="ALL,SHARDS=$shards,SEEDS=$seeds,SCENARIO=$scenario,OUT=$tmp/shards,HYBRIDSIM=$bin" \
    deploy/slurm/sweep.sbatch) || fail "sbatch refused the job"
jid=${jid%%;*}
echo "submitted job array $jid: $shards tasks"
states=
for ((i = 0; i < job_timeout; i++)); do
    # One line per array task once it has been split out of the pending record.
    states=$(scontrol -o show job "$jid" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr -s ' ' || true)
    if [[ -n $states && ! $states =~ PENDING|RUNNING|CONFIGURING|COMPLETING ]]; then break; fi
    sleep 1
done
echo "job states:$states"
for f in "$tmp"/log/*.out; do
    [[ -s $f ]] && sed "s|^|  $(basename "$f"): |" "$f"
done
[[ $states =~ ^\ ?$shards\ JobState=COMPLETED$ ]] ||
    fail "the array did not complete within ${job_timeout}s:$states"
jid=

# 4. Merge, and compare with one machine's run.
"$bin" merge "$tmp/shards" --out "$tmp/merged" -q
"$bin" compare "$scenario" --seeds "$seeds" --out "$tmp/single" -q
(cd "$tmp/single" && ls) >"$tmp/single.list"
(cd "$tmp/merged" && ls) >"$tmp/merged.list"
cmp -s "$tmp/single.list" "$tmp/merged.list" ||
    fail "merged files ($(tr '\n' ' ' <"$tmp/merged.list")) differ from single ($(tr '\n' ' ' <"$tmp/single.list"))"
while read -r f; do
    cmp "$tmp/single/$f" "$tmp/merged/$f" || fail "$f differs"
done <"$tmp/single.list"
echo "ok: $shards Slurm array tasks merged equal one machine's compare byte for byte ($(tr '\n' ' ' <"$tmp/single.list" | sed 's/ $//'))"
cd "$repo"
