#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# brig benchmarks, run by `make bench`:
#
#   BUILD=build tests/bench/run.sh build/brig
#
# Each benchmark is one bench_* function listed in BENCHMARKS below; it adds
# contenders with `contender NAME COMMAND...` (the first one is the baseline
# the ratios refer to) and hands them to `measure`, which runs them
# interleaved with $BUILD/bench/launch (see the header of launch.c).
# A contender whose tool is missing is skipped with a message.
#
# Environment: ROUNDS (measured rounds per contender, default 200),
# BENCH (space-separated benchmark names to run, default: all of them);
# for `gate`: GATE_RUNS (interleaved pairs, default 9), GATE_BYTES (per
# transfer, default 3000000000, the README's figures), GATE_PINGS (connections, default 300).
set -euo pipefail

BRIG=${1:?usage: BUILD=build $0 PATH/TO/brig}
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-200}
LAUNCH=$BUILD/bench/launch

# Benchmarks in the order they run.
BENCHMARKS=(launch jobs steady seccomp watch refusals veth throughput egress gate workloads selfbuild)

[[ -x $LAUNCH ]] || { echo "run.sh: $LAUNCH missing (make $LAUNCH)" >&2; exit 1; }
[[ -x $BRIG ]] || { echo "run.sh: $BRIG missing (make)" >&2; exit 1; }

RAW=$(mktemp)
trap 'rm -f "$RAW"; crun_cleanup' EXIT

contenders=()
contender() {  # contender NAME COMMAND [ARG...]
	if ! command -v "$2" >/dev/null 2>&1; then
		echo "skip: $1 ($2 not found)"
		return 0
	fi
	((${#contenders[@]} == 0)) || contenders+=(';')
	contenders+=("$1" -- "${@:2}")
}

measure() {  # measure WHAT: runs the contenders added since the last call
	echo
	echo "== $1"
	"$LAUNCH" -n "$ROUNDS" -s ';' -r "$RAW" "${contenders[@]}"
	contenders=()
}

paired() {  # paired A B: median over rounds of t(A)/t(B), from the last measure
	local r
	r=$(awk -F, -v a="$1" -v b="$2" '
		NR > 1 && $2 == a { ta[$1] = $3 }
		NR > 1 && $2 == b { tb[$1] = $3 }
		END { for (k in ta) if (k in tb && tb[k] > 0) print ta[k] / tb[k] }' "$RAW" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	[[ -z $r ]] || echo "paired ratio $1/$2: ${r}x (median of per-round ratios; below 1 means $1 is faster)"
}

# bubblewrap with the isolation of brig's default: every namespace, a
# read-only /usr with the top-level links or trees the host has. Fills BWRAP.
BWRAP=()
bwrap_command() {
	BWRAP=(bwrap --unshare-all --die-with-parent --new-session --ro-bind /usr /usr)
	local d
	for d in bin sbin lib lib32 lib64 libx32; do
		if [[ -L /$d ]]; then
			BWRAP+=(--symlink "$(readlink "/$d")" "/$d")
		elif [[ -d /$d ]]; then
			BWRAP+=(--ro-bind "/$d" "/$d")
		fi
	done
	BWRAP+=(--proc /proc --dev /dev --tmpfs /tmp -- /bin/true)
}

# Start-up latency: fork, set up the sandbox, exec /bin/true, tear down, wait.
bench_launch() {
	local bwrap
	bwrap_command
	bwrap=("${BWRAP[@]}")

	contender bare /bin/true
	contender brig "$BRIG" run -- /bin/true
	contender bwrap "${bwrap[@]}"
	# The kernel's part alone (tests/bench/floor.c): no sandbox with these
	# namespaces starts faster, so floor/bwrap bounds brig/bwrap from below.
	[[ -x $BUILD/bench/floor ]] && contender floor "$BUILD/bench/floor" /bin/true
	crun_bundle && contender crun "${CRUN[@]}"
	contender unshare unshare --user --map-root-user --mount --pid --fork \
		--uts --ipc --net --cgroup /bin/true
	measure "launch: start-up latency of a sandboxed /bin/true, in ms"
	paired brig bwrap
	paired brig unshare
	paired brig crun
	paired floor bwrap
	crun_cleanup
	timings "$BRIG" run -- /bin/true
}

# Throughput: JOBS (default 200) launches of /bin/true, PARALLEL (default
# 8) at a time, in brig and in the bubblewrap command, JOBS_ROUNDS
# (default 3) interleaved rounds (tests/bench/jobs.c). No job may fail, no
# process may outlive its job (jobs.c is their subreaper) and nothing of
# brig's may be left on the host (tests/bench/residue.py). So that other
# jobs on the machine are not counted as this benchmark's residue, all of
# it runs in a network namespace and a mount namespace of its own, with a
# fresh tmpfs on /run/brig (leases, job records, the filter cache) and an
# empty cgroup of its own bound over the cgroup v2 mount (brig makes its
# brig/ parent and the job cgroups in it, as it would at the top): what
# is found there afterwards is this benchmark's only.
bench_jobs() {
	local drv=$BUILD/bench/jobs here cg2 cg rc=0
	[[ -x $drv ]] || { echo "run.sh: $drv missing (make $drv)" >&2; exit 1; }
	((EUID == 0)) || { echo "skip: jobs (its namespaces for the residue check need root)"; return 0; }
	here=$(dirname "${BASH_SOURCE[0]}")
	cg2=$(awk '$(NF - 2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	bwrap_command
	echo
	echo "== jobs: ${JOBS:-200} jobs of /bin/true, ${PARALLEL:-8} at a time, in jobs per second (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	local c=(brig -- "$BRIG" run -- /bin/true)
	command -v bwrap >/dev/null && c+=(';' bwrap -- "${BWRAP[@]}") || echo "skip: bwrap (bwrap not found)"
	mkdir -p /run/brig
	cg=""
	if [[ -n $cg2 ]]; then
		cg=$cg2/brig-bench-$$
		mkdir "$cg"
	fi
	unshare --mount --net --propagation private bash -euc '
		here=$1 drv=$2 cg2=$3 cg=$4; shift 4
		ip link set lo up
		mount -t tmpfs -o mode=0755 brig-bench /run/brig
		[[ -z $cg ]] || mount --bind "$cg" "$cg2"
		snap=$(mktemp)
		trap "rm -f $snap" EXIT
		python3 "$here/residue.py" snapshot "$snap"
		"$drv" -n "${JOBS:-200}" -j "${PARALLEL:-8}" -r "${JOBS_ROUNDS:-3}" "$@"
		python3 "$here/residue.py" check "$snap"' bench "$here" "$drv" "$cg2" "$cg" "${c[@]}" || rc=1
	[[ -z $cg ]] || rmdir "$cg" || rc=1
	((rc == 0)) || exit 1
}

# Small and steady: brig's processes during a job that sleeps (the
# supervisor, its janitor, the seccomp handler, the job's init), their
# resident size, and their wake-ups (context switches) and CPU over an
# idle IDLE_SECONDS (default 3) window: a supervisor that polled would
# wake in it. Fails when one of them woke.
bench_steady() {
	local idle=${IDLE_SECONDS:-3}
	echo
	echo "== steady: brig's processes during a job that sleeps, and over ${idle}s of it (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	python3 - "$BRIG" "$idle" <<'PY'
import json, os, subprocess, sys, tempfile, time
brig, idle = sys.argv[1], float(sys.argv[2])
status = tempfile.mktemp(prefix="brig-bench-steady-")
os.mkfifo(status)
job = subprocess.Popen([brig, "run", "--status-file", status, "--", "/bin/sleep", str(idle + 60)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
events = open(status)
try:
    started = events.readline()
    assert '"started"' in started, started
    time.sleep(0.5)  # the started event is written before the job's init forks the job

    names = {"brig": "init", "brig-init": "init", "brig-janitor": "janitor", "brig-seccomp": "seccomp"}

    def procs():
        """brig's own processes: the supervisor and its descendants named brig*."""
        out, todo = {}, [job.pid]
        while todo:
            pid = todo.pop()
            try:
                comm = open("/proc/%d/comm" % pid).read().strip()
                kids = open("/proc/%d/task/%d/children" % (pid, pid)).read().split()
            except OSError:
                continue
            if comm.startswith("brig"):
                out[pid] = "supervisor" if pid == job.pid else names.get(comm, comm)
            todo += [int(k) for k in kids]
        return out

    def sample(pid):
        st = dict(l.split(":", 1) for l in open("/proc/%d/status" % pid))
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        kib = lambda k: int(st[k].split()[0]) if k in st else 0
        pss = [l for l in open("/proc/%d/smaps_rollup" % pid) if l.startswith("Pss:")]
        return {"rss": kib("VmRSS"), "anon": kib("RssAnon"), "file": kib("RssFile"),
                "pss": int(pss[0].split()[1]) if pss else 0,
                "switches": int(st["voluntary_ctxt_switches"]) + int(st["nonvoluntary_ctxt_switches"]),
                "cpu": (int(f[11]) + int(f[12])) * 1000 / os.sysconf("SC_CLK_TCK")}

    ps = procs()
    before = {p: sample(p) for p in ps}
    time.sleep(idle)
    after = {p: sample(p) for p in ps}
    woke = False
    order = ["supervisor", "janitor", "seccomp", "init"]
    for p, name in sorted(ps.items(), key=lambda x: order.index(x[1]) if x[1] in order else 9):
        a, b = before[p], after[p]
        n = b["switches"] - a["switches"]
        woke |= n > 0
        print("%-10s RSS %5d KiB (anon %d, file %d; PSS %d)%s; over %gs idle: %d wake-ups, %.0f ms CPU"
              % (name, b["rss"], b["anon"], b["file"], b["pss"],
                 (" <= 2 MiB: " + ("yes" if b["rss"] <= 2048 else "no")) if name in ("supervisor", "janitor") else "",
                 idle, n, b["cpu"] - a["cpu"]))
    print("no polling: %s" % ("no, a process of brig woke while the job slept" if woke else "yes, none woke"))
finally:
    job.terminate()
    events.read()
    job.wait()
    events.close()
    os.unlink(status)
sys.exit(1 if woke else 0)
PY
}

# crun with a minimal OCI bundle on the same /usr: the namespaces of
# brig's default (user with brig's id range, mount, pid, net, ipc, uts,
# cgroup), a read-only root with /usr bound read-only, /proc, tmpfs /dev
# and /tmp. crun refuses a host whose cgroup v2 mount has controllers
# beside v1 ones ("hybrid mode"), so on such a host it runs in a mount
# namespace of its own with cgroup2 on /sys/fs/cgroup, through nsenter
# (whose exec it pays), and with --cgroup-manager=disabled: no cgroup per
# job, which brig makes. Fills CRUN; false when crun cannot run here.
CRUN=()
CRUN_DIR=""
crun_bundle() {
	command -v crun >/dev/null || { echo "skip: crun (crun not found)"; return 1; }
	((EUID == 0)) || { echo "skip: crun (its bundle's id maps need root)"; return 1; }
	CRUN_DIR=$(mktemp -d /tmp/brig-bench-crun.XXXXXX)
	local b=$CRUN_DIR/bundle d
	mkdir -p "$b/rootfs/usr" "$b/rootfs/proc" "$b/rootfs/dev" "$b/rootfs/tmp"
	for d in bin sbin lib lib32 lib64 libx32; do
		[[ -L /$d ]] && ln -s "$(readlink "/$d")" "$b/rootfs/$d"
	done
	chmod -R a+rX "$CRUN_DIR"
	cat >"$b/config.json" <<-'JSON'
	{"ociVersion": "1.0.0",
	 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"],
	             "env": ["PATH=/usr/bin:/bin"], "cwd": "/", "noNewPrivileges": true},
	 "root": {"path": "rootfs", "readonly": true},
	 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
	            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
	            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]},
	            {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro", "nosuid", "nodev"]}],
	 "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
	                          {"type": "mount"}, {"type": "cgroup"}, {"type": "user"}],
	           "uidMappings": [{"containerID": 0, "hostID": 1879048192, "size": 65536}],
	           "gidMappings": [{"containerID": 0, "hostID": 1879048192, "size": 65536}]}}
	JSON
	CRUN=(crun --cgroup-manager=disabled run --bundle "$b" "brig-bench-$$")
	if ! (cd "$CRUN_DIR" && "${CRUN[@]}") >/dev/null 2>&1; then
		touch "$CRUN_DIR/mnt"
		mount --bind "$CRUN_DIR" "$CRUN_DIR" && mount --make-private "$CRUN_DIR" &&
			unshare --mount="$CRUN_DIR/mnt" --propagation private \
				sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup' ||
			{ echo "skip: crun (cannot give it a cgroup v2 only view)"; crun_cleanup; return 1; }
		CRUN=(nsenter --mount="$CRUN_DIR/mnt" "${CRUN[@]}")
		if ! "${CRUN[@]}" >/dev/null 2>&1; then
			echo "skip: crun (it cannot run its bundle here)"
			crun_cleanup
			return 1
		fi
		echo "note: crun runs through nsenter into a mount namespace with a cgroup v2 only /sys/fs/cgroup"
	fi
}
crun_cleanup() {
	[[ -n $CRUN_DIR ]] || return 0
	umount "$CRUN_DIR/mnt" 2>/dev/null || true
	umount "$CRUN_DIR" 2>/dev/null || true
	rm -rf "$CRUN_DIR"
	CRUN_DIR=""
}

# Where brig's time goes: the exited event's timings (brig(1), STATUS
# OUTPUT) of TIMINGS_ROUNDS launches (default 20), median per step. The
# command may start with a wrapper (ip netns exec ...): --status-file
# goes after its first "run".
timings() {  # timings [WRAPPER...] BRIG run [OPTION...] -- COMMAND...
	local n=${TIMINGS_ROUNDS:-20} shown=("$@")
	while [[ ${shown[0]} != run ]]; do shown=("${shown[@]:1}"); done
	echo "-- timings of \`brig ${shown[*]}\`, median of $n launches, ms (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	python3 - "$n" "$@" <<'PY'
import json, os, statistics, subprocess, sys, tempfile
n, cmd = int(sys.argv[1]), sys.argv[2:]
fd, status = tempfile.mkstemp(prefix="brig-bench-timings-")
os.close(fd)
at = cmd.index("run") + 1
steps = {}
try:
    for _ in range(n):
        subprocess.run(cmd[:at] + ["--status-file", status] + cmd[at:], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ex = [json.loads(l) for l in open(status) if '"exited"' in l][0]
        for k, v in ex["timings"].items():
            steps.setdefault(k, []).append(v)
finally:
    os.unlink(status)
print("  ".join("%s %.2f" % (k, statistics.median(v)) for k, v in steps.items()))
PY
}

# What the default syscall filter costs a system-call-heavy job: the same
# loop (10 million getppid, then 100 000 stat/open/close) in brig with the
# default policy and with `--seccomp none`, interleaved.
bench_seccomp() {
	local prog=$BUILD/bench/syscalls
	[[ -x $prog ]] || { echo "run.sh: $prog missing (make $prog)" >&2; exit 1; }
	local dir
	dir=$(cd "$(dirname "$prog")" && pwd)
	local run=("$BRIG" run --ro-bind "$dir:/opt/bench" -- /opt/bench/syscalls "${SYSCALLS:-10000000}")
	local saved=$ROUNDS
	ROUNDS=${SECCOMP_ROUNDS:-15}
	contender no-filter "${run[@]:0:2}" --seccomp none "${run[@]:2}"
	contender default "${run[@]}"
	measure "seccomp: a syscall loop under the default filter and with none, in ms"
	paired default no-filter
	ROUNDS=$saved
}

# What the watched calls (the hint on calls the kernel refuses for want of
# an id mapping or a capability) cost a job that never makes one: the
# default policy's filters with and without the watch rules, each loaded
# by a child that times fork+exec, getppid and in-range fchown loops
# (tests/bench/watch.c; WATCH_ROUNDS, default 21; minimum of each).
bench_watch() {
	local prog=$BUILD/bench/watch
	[[ -x $prog ]] || { echo "skip: watch (make $prog)"; return 0; }
	echo
	echo "== watch: the default filter with and without the watched calls"
	BRIG_PROFILE_PATH=${BRIG_PROFILE_PATH:-profiles} "$prog" "${WATCH_ROUNDS:-21}"
}

# What refused system calls cost brig: REFUSALS (default 1 000 000) mount
# calls from tests/helpers/deny-flood. brig's CPU is its handler's (in the
# job's cgroup: the cgroup's CPU less the caller's own) plus what the
# supervisor spent outside the cgroup (brig's and its children's CPU less
# the cgroup's); both per million refusals and as a fraction of the
# caller's own CPU. Needs root and cgroup v2 (the cgroup's CPU figure).
bench_refusals() {
	local prog=$BUILD/tests/helpers/deny-flood n=${REFUSALS:-1000000}
	[[ -x $prog ]] || { echo "skip: refusals (make $prog)"; return 0; }
	((EUID == 0)) || { echo "skip: refusals (the job's cgroup needs root)"; return 0; }
	echo
	echo "== refusals: $n refused mount(2) calls in one job, brig's CPU"
	python3 - "$BRIG" "$(readlink -f "$prog")" "$n" <<'PY'
import json, os, resource, subprocess, sys, tempfile
brig, prog, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
status = tempfile.mktemp(prefix="brig-bench-refusals-")
before = resource.getrusage(resource.RUSAGE_CHILDREN)
out = subprocess.run([brig, "run", "--quiet", "--ro-bind", prog + ":/opt/deny-flood", "--status-file", status,
                      "--", "/opt/deny-flood", str(n)], capture_output=True, text=True, check=True).stdout
after = resource.getrusage(resource.RUSAGE_CHILDREN)
ex = [json.loads(l) for l in open(status) if '"exited"' in l][0]
os.unlink(status)
total = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1e3
job = ex["cpu_user_ms"] + ex["cpu_system_ms"]
own = float(dict(l.split("=") for l in out.split())["cpu_ms"])
outside, handler = total - job, job - own
scale = 1e6 / n
print("caller's own CPU %.0f ms; brig %.0f ms (handler in the job's cgroup %.0f ms, supervisor outside it %.0f ms)"
      % (own * scale, (handler + outside) * scale, handler * scale, outside * scale))
print("per 1 000 000 refusals: brig %.2f s, %.2fx the caller's own CPU; outside the job's cgroup %.3f s"
      % ((handler + outside) * scale / 1e3, (handler + outside) / own, outside * scale / 1e3))
PY
}

# The network benchmarks run in the test suite's lab (tests/net/lab.sh):
# brig's firewall and forwarding go into the lab's namespaces, never the
# host's, and traffic never leaves them.
LAB=""
lab_up() {
	[[ -n $LAB ]] && return 0
	if ((EUID != 0)); then
		echo "skip: the network benchmarks need root (net veth)"
		return 1
	fi
	LAB=bb$$
	trap 'rm -f "$RAW"; crun_cleanup; tests/net/lab.sh down "$LAB"' EXIT
	tests/net/lab.sh up "$LAB"
}

# What `net veth` adds to a launch: leases, the veth pair with addresses and
# routes, the firewall batch and its removal. The driver itself runs in the
# lab's host namespace, so the contenders pay the same for everything else;
# bubblewrap's command of the launch benchmark runs beside them (its network
# is an empty namespace: this is brig's whole network set-up against none).
bench_veth() {
	lab_up || return 0
	local brig c=()
	brig=$(readlink -f "$BRIG")
	bwrap_command
	command -v bwrap >/dev/null && c=(';' bwrap -- "${BWRAP[@]}")
	echo
	echo "== veth: start-up latency of /bin/true with net none and net veth, in ms (in the lab's host namespace)"
	ip netns exec "$LAB-h" "$LAUNCH" -n "$ROUNDS" -s ';' -r "$RAW" \
		none -- "$brig" run -- /bin/true ';' veth -- "$brig" run --net veth -- /bin/true "${c[@]}"
	paired veth none
	paired veth bwrap
	awk -F, 'NR > 1 && $2 == "veth" { v[$1] = $3 } NR > 1 && $2 == "none" { n[$1] = $3 }
		END { for (k in v) if (k in n) print v[k] - n[k] }' "$RAW" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "median of per-round differences veth - none: %.2f ms\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	timings ip netns exec "$LAB-h" "$brig" run --net veth -- /bin/true
}

# TCP throughput to the lab's server: from a brig job (veth, NAT, brig's
# firewall) and from a bare namespace behind the same kind of veth and NAT
# without brig. Interleaved runs; medians and the median per-pair ratio.
bench_throughput() {
	lab_up || return 0
	command -v iperf3 >/dev/null || { echo "skip: throughput (iperf3 not found)"; return 0; }
	local brig runs=${THROUGHPUT_RUNS:-5} secs=${THROUGHPUT_SECONDS:-3} i
	brig=$(readlink -f "$BRIG")
	local gbps='import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
	echo
	echo "== throughput: iperf3 TCP to the lab server for ${secs}s, $runs interleaved runs, in Gbit/s"
	local jobs=() bares=() ratios=()
	for ((i = 0; i < runs; i++)); do
		local j b
		j=$(ip netns exec "$LAB-h" "$brig" run --net veth -- iperf3 -c 198.51.100.10 -t "$secs" -J | python3 -c "$gbps")
		b=$(ip netns exec "$LAB-b" iperf3 -c 198.51.100.10 -t "$secs" -J | python3 -c "$gbps")
		jobs+=("$j")
		bares+=("$b")
		ratios+=("$(awk -v a="$j" -v b="$b" 'BEGIN { printf "%.3f", a / b }')")
		echo "run $((i + 1)): brig job $j, bare namespace $b"
	done
	median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
	echo "median: brig job $(median "${jobs[@]}") Gbit/s, bare namespace $(median "${bares[@]}") Gbit/s"
	echo "paired ratio job/bare: $(median "${ratios[@]}")x (median of per-run ratios)"
}

# Egress by name (brig answers the job's DNS; the names' addresses enter
# the job's set): the time a name costs through brig's responder against
# the same question asked of the lab's resolver directly from a plain veth
# job, and iperf3 throughput to an allowed name against a plain veth job.
bench_egress() {
	lab_up || return 0
	local brig ask runs=${THROUGHPUT_RUNS:-5} secs=${THROUGHPUT_SECONDS:-3} n=${DNS_QUERIES:-2000} i
	brig=$(readlink -f "$BRIG")
	ask=$(readlink -f "$BUILD/tests/helpers/dns-ask")
	[[ -x $ask ]] || { echo "skip: egress (make $BUILD/tests/helpers/dns-ask)"; return 0; }
	local run=(ip netns exec "$LAB-h" "$brig" run -q --ro-bind "$ask:/opt/dns-ask" --net veth)
	local named=(--egress-default deny --egress-allow-host ok.test)
	local ns="\$(awk '/^nameserver/{print \$2; exit}' /etc/resolv.conf)"
	echo
	echo "== egress: $n sequential A questions for ok.test, in microseconds per answer"
	echo "direct to the lab resolver: $("${run[@]}" -- /bin/sh -c "/opt/dns-ask bench 198.51.100.53 ok.test $n")"
	echo "through brig's responder:   $("${run[@]}" "${named[@]}" -- /bin/sh -c "/opt/dns-ask bench $ns ok.test $n")"
	command -v iperf3 >/dev/null || { echo "skip: egress throughput (iperf3 not found)"; return 0; }
	local gbps='import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
	echo "== egress: iperf3 TCP for ${secs}s to an allowed name and, from a plain veth job, to its address; $runs interleaved runs, Gbit/s"
	local ratios=()
	for ((i = 0; i < runs; i++)); do
		local e p
		e=$("${run[@]}" "${named[@]}" -- /bin/sh -c \
			"iperf3 -c \$(getent ahostsv4 ok.test | awk 'NR==1{print \$1}') -t $secs -J" | python3 -c "$gbps")
		p=$("${run[@]}" -- iperf3 -c 198.51.100.10 -t "$secs" -J | python3 -c "$gbps")
		ratios+=("$(awk -v a="$e" -v b="$p" 'BEGIN { printf "%.3f", a / b }')")
		echo "run $((i + 1)): by name $e, plain veth $p"
	done
	printf '%s\n' "${ratios[@]}" | sort -g |
		awk '{ v[NR] = $1 } END { printf "paired ratio by-name/plain: %.3fx (median of per-run ratios)\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# What CI scripts do as root (tests/integration/test_workloads.c), bare as
# root in a directory and in brig under the default profile in a
# workspace, interleaved (WORKLOAD_ROUNDS, default 5, after one warm-up
# round): wall time, and the median of per-round ratios brig/bare. Each
# script starts by emptying its directory, so every round does the same
# work. The aim of issue 15 is a ratio of at most 1.05. `apt-get install`
# has no bare counterpart here: bare, it would install on the host.
WORKLOADS=(
	"tarball: tar czf of /usr/include/linux (6.5 MB, 800 files) with foreign owners, then tar xzf as root"
	"tar --owner=1000 --group=1000 -czf t.tgz -C /usr/include/linux . && mkdir o && tar xzf t.tgz -C o"
	"chown: cp -r /usr/include/linux, then chown -R to another id"
	"cp -r /usr/include/linux inc && chown -R 4242:4243 inc"
	"setpriv: 200 switches to an unprivileged user"
	"for i in \$(seq 200); do setpriv --reuid=1000 --regid=1000 --clear-groups true; done"
	"python: multiprocessing.Pool(4) over 200 000 items"
	"python3 -c 'import multiprocessing as m
with m.Pool(4) as p: print(sum(p.map(abs, range(-100000, 100000))))'"
	"git: 50 commits, a bare mirror, a clone, a log"
	"export GIT_CONFIG_NOSYSTEM=1 HOME=\$PWD; git init -q -b main src && cd src && for i in \$(seq 50); do echo \$i >> f; git add f; git -c user.name=n -c user.email=n@example.org commit -q -m c\$i; done && cd .. && git clone -q --bare src mirror.git && git clone -q mirror.git work && git -C work log --oneline | wc -l"
)
# The PATH a job gets: bare runs use it too, or they compare other
# programs (a python3 of the caller's pyenv against /usr/bin/python3).
job_path() {
	"$BRIG" run --quiet --profile "$1" -- /bin/sh -c 'echo "$PATH"'
}
bench_workloads() {
	((EUID == 0)) || { echo "skip: workloads (bare, only root restores owners and switches users)"; return 0; }
	local profile=${BRIG_PROFILES:-profiles}/default dir i path
	path=$(job_path "$profile")
	dir=$(mktemp -d /var/tmp/brig-bench-work.XXXXXX)
	for ((i = 0; i < ${#WORKLOADS[@]}; i += 2)); do
		local what=${WORKLOADS[i]} script="find . -mindepth 1 -delete; ${WORKLOADS[i + 1]}"
		rm -rf "$dir/bare" "$dir/ws"
		mkdir -p "$dir/bare" "$dir/ws"
		echo
		echo "== workload ${what%%:*}:${what#*:}, in ms (load average $(cut -d' ' -f1-3 /proc/loadavg))"
		"$LAUNCH" -n "${WORKLOAD_ROUNDS:-5}" -w 1 -s ';' -r "$RAW" \
			bare -- env PATH="$path" sh -c "cd '$dir/bare' && $script" ';' \
			brig -- "$BRIG" run --profile "$profile" --quiet --workspace "$dir/ws" -- sh -c "$script" ||
			{ rm -rf "$dir"; return 1; }
		paired brig bare
	done
	rm -rf "$dir"
}

# brig built and unit-tested inside brig against the same bare: a copy of
# this checkout (without build/ and .git), `make -j2 && build/tests/unit`,
# SELFBUILD_ROUNDS interleaved rounds (default 2), no warm-up. Minutes per
# run: the numbers are few and the load varies, so read the ratio with the
# load average printed beside it.
bench_selfbuild() {
	((EUID == 0)) || { echo "skip: selfbuild (the unit suite's chown tests want root bare too)"; return 0; }
	[[ -f src/main.c ]] || { echo "skip: selfbuild (not run from a brig checkout)"; return 0; }
	local profile=${BRIG_PROFILES:-profiles}/default dir path
	path=$(job_path "$profile")
	dir=$(mktemp -d /var/tmp/brig-bench-self.XXXXXX)
	mkdir -p "$dir/src" "$dir/bare" "$dir/ws"
	tar -c --exclude=./build --exclude=./.git . | tar -C "$dir/src" -x
	local script="find . -mindepth 1 -delete && cp -R '$dir/src/.' . && make -j2 all build/tests/unit >/dev/null 2>&1 && build/tests/unit >/dev/null 2>&1"
	echo
	echo "== selfbuild: make -j2 and the unit suite of a copy of this checkout, in ms (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	"$LAUNCH" -n "${SELFBUILD_ROUNDS:-2}" -w 0 -s ';' -r "$RAW" \
		bare -- env PATH="$path" sh -c "cd '$dir/bare' && $script" ';' \
		brig -- "$BRIG" run --profile "$profile" --quiet --workspace "$dir/ws" --ro-bind "$dir/src:$dir/src" -- sh -c "$script" ||
		{ rm -rf "$dir"; return 1; }
	paired brig bare
	echo "(load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
	rm -rf "$dir"
}

# The name gate: TCP to port 80 of a name's address is held in the job's
# queue until the supervisor has read its Host header, then passes in the
# kernel; against the same server reached by a CIDR rule, which the gate
# leaves alone. A bulk transfer each way and the time from connect to the
# answer's first byte. The server runs on the last CPU and the job on the
# first: left to the scheduler, the two ends share a CPU in some runs and
# not in others, and the rate doubles or halves with it (22 or 54 Gbit/s
# on two CPUs), whatever the path.
bench_gate() {
	lab_up || return 0
	local bulk runs=${GATE_RUNS:-9}
	bulk=$(readlink -f "$BUILD/tests/helpers/bulk")
	[[ -x $bulk ]] || { echo "skip: the name gate (make $BUILD/tests/helpers/bulk)"; return 0; }
	local last=$(($(nproc) - 1))
	ip netns exec "$LAB-c" taskset -c "$last" "$bulk" serve 198.51.100.11 80 >/dev/null 2>&1 &
	# In the lab's namespace: its `down` ends the server if this does not.
	local server=$! bytes=${GATE_BYTES:-3000000000} pings=${GATE_PINGS:-300} dir i
	local run=(ip netns exec "$LAB-h" taskset -c 0 "$(readlink -f "$BRIG")" run -q --ro-bind "$bulk:/opt/bulk" --net veth --egress-default deny)
	local addr="\$(getent ahostsv4 bulk.test | awk 'NR==1{print \$1}')"
	median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
	for dir in get put; do
		echo "== egress: the name gate, $((bytes / 1000000)) MB $dir through it (--egress-allow-host) and past it (--egress-allow CIDR); $runs interleaved runs, Gbit/s"
		local ratios=()
		for ((i = 0; i < runs; i++)); do
			local g p
			g=$("${run[@]}" --egress-allow-host bulk.test -- /bin/sh -c "/opt/bulk $dir $addr 80 bulk.test $bytes" | sed -n 's/^gbps=//p')
			p=$("${run[@]}" --egress-allow 198.51.100.11 -- /opt/bulk "$dir" 198.51.100.11 80 bulk.test "$bytes" | sed -n 's/^gbps=//p')
			ratios+=("$(awk -v a="$g" -v b="$p" 'BEGIN { printf "%.3f", a / b }')")
			echo "run $((i + 1)): gate $g, no gate $p"
		done
		echo "paired ratio gate/no-gate ($dir): $(median "${ratios[@]}")x (median of per-run ratios)"
	done
	echo "== egress: the name gate, $pings connections one after another, connect to the answer's first byte"
	echo "through the gate: $("${run[@]}" --egress-allow-host bulk.test -- /bin/sh -c "/opt/bulk ping $addr 80 bulk.test $pings")"
	echo "past the gate:    $("${run[@]}" --egress-allow 198.51.100.11 -- /opt/bulk ping 198.51.100.11 80 bulk.test "$pings")"
	kill "$server"
	wait "$server" 2>/dev/null || true
}

echo "brig bench: $("$BRIG" --version), kernel $(uname -r), $(nproc) CPUs, $ROUNDS rounds, running as uid $(id -u)"
for b in ${BENCH:-${BENCHMARKS[*]}}; do
	if ! declare -F "bench_$b" >/dev/null; then
		echo "run.sh: unknown benchmark '$b' (known: ${BENCHMARKS[*]})" >&2
		exit 1
	fi
	"bench_$b"
done
