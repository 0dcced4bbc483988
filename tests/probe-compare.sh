#!/bin/bash
# brig probe --json in bubblewrap, firejail and brig, scored side by side as
# a Markdown table (what the README shows). Run as root from the checkout:
#
#   tests/probe-compare.sh [BRIG]        (make probe-compare)
#
# The three get an equivalent view of the host: the host's /usr read-only
# and fresh /proc, /dev and /tmp for bubblewrap (--unshare-all); firejail
# with no profile at all (--noprofile), its own defaults only, and with its
# default profile; brig with the shipped default and permissive profiles.
# The network checks that connect are left out: firejail shares the host's
# network, and the probe must not knock on real addresses from here.
# bubblewrap runs twice: by root, like the others, and by uid 65534, as it
# is meant to be used (two nested user namespaces; firejail refuses users
# not listed in firejail.users). Each probe's JSON is kept in $KEEP when
# that is set, for `brig probe --compare`.
set -euo pipefail
brig=$(realpath "${1:-build/brig}")
profiles=$(cd "$(dirname "${BASH_SOURCE[0]}")/../profiles" && pwd -P)
out=$(mktemp -d "${TMPDIR:-/var/tmp}/brig-compare.XXXXXX")
trap 'if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$out"/*.json "$KEEP"/; fi; rm -rf "$out"' EXIT
# A copy the unprivileged user can run.
chmod 755 "$out"
cp "$brig" "$out/brig"
chmod 755 "$out/brig"
nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups --reset-env "$@"; }
bwrap_args=(--unshare-all --die-with-parent --new-session
	--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64
	--symlink usr/sbin /sbin --proc /proc --dev /dev --tmpfs /tmp
	--ro-bind "$out/brig" /opt/brig-probe -- /opt/brig-probe probe --json)

run() { # NAME COMMAND...: the probe's JSON into $out/NAME.json
	local name=$1
	shift
	"$@" >"$out/$name.json" 2>"$out/$name.err" || [ $? -eq 1 ] || {
		echo "probe-compare: $name failed:" >&2
		cat "$out/$name.err" >&2
		exit 1
	}
}

run bare "$brig" probe --json
run bubblewrap bwrap "${bwrap_args[@]}"
run bubblewrap-user nobody bwrap "${bwrap_args[@]}"
run firejail firejail --noprofile --quiet "$brig" probe --json
run firejail-default firejail --quiet "$brig" probe --json
run brig "$brig" run --profile "$profiles/default" --quiet --ro-bind "$out/brig:/opt/brig-probe" -- \
	/opt/brig-probe probe --json
run brig-permissive "$brig" run --profile "$profiles/permissive" --quiet --ro-bind "$out/brig:/opt/brig-probe" -- \
	/opt/brig-probe probe --json

python3 - "$out" <<'PY'
import json, sys, os
d = sys.argv[1]
bw = "bubblewrap " + os.popen("bwrap --version").read().split()[-1] + " (--unshare-all)"
fj = "firejail " + os.popen("firejail --version").read().split()[2] + " (--noprofile)"
fjd = "firejail " + os.popen("firejail --version").read().split()[2] + " (default profile)"
rows = [("none (bare host, root)", "bare"), (bw + ", run by root", "bubblewrap"), (bw + ", run by uid 65534", "bubblewrap-user"),
        (fj + ", run by root", "firejail"), (fjd + ", run by root", "firejail-default"),
        ("brig (profile default), run by root", "brig"), ("brig (profile permissive), run by root", "brig-permissive")]
print("| sandbox | high-severity checks blocked | checks exposed | exposure (0-10, lower is better) | high-severity checks exposed |")
print("|---|---|---|---|---|")
for label, name in rows:
    try:
        doc = json.load(open(os.path.join(d, name + ".json")))
    except ValueError:
        sys.exit(f"probe-compare: no JSON from {name}: " + open(os.path.join(d, name + ".err")).read())
    s = doc["summary"]
    high = [c["id"] for c in doc["checks"] if c["severity"] == "high" and c["result"] == "exposed"]
    print(f"| {label} | {s['high_blocked']}/{s['high_total']} | {s['exposed']}/{s['checks']} | {s['exposure']} | {', '.join(high) if high else 'none'} |")
PY
