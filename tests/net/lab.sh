#!/bin/sh
# The network tests' private lab: never the real network.
#
#   lab.sh up NAME [OWNER]   builds it; lab.sh down NAME removes it, processes too
#
# OWNER is the pid of the test that owns the lab. `up` first removes every
# lab whose owner is gone: a test that crashed never ran its `down`.
#
#   NAME-h  plays the host: brig runs in it (ip netns exec NAME-h brig ...).
#           Its only uplink, up0 (203.0.113.2, 2001:db8:1::2), leads to
#           NAME-c. It runs services on its loopback (127.0.0.1:8080) and on
#           every address (:8081), which no job may reach.
#   NAME-c  plays the cloud and the internet, on its loopback:
#           - a fake metadata service on :80 at every metadata address
#             (169.254.169.254, 100.100.100.200, 168.63.129.16, 192.0.0.192,
#             fd00:ec2::254, fd20:ce::254), answering "metadata";
#           - an "internet" server: TCP :80 answering "hello" at once,
#             then "read LINE" once a line of the client's came (the proof
#             that a request reached it, which the greeting is not: it
#             leaves before any request), then reading what it is sent
#             until the client closes (a request it left unread could have
#             it close before its answer went), UDP :7
#             answering "pong", TLS :443 echoing what it is sent (a
#             self-signed certificate for ok.test), at 198.51.100.10 and
#             2001:db8::10;
#           - servers in private ranges (10.99.0.10, 192.168.77.10,
#             172.16.5.10, 100.64.0.10, fc00:99::10) on :80 answering "private";
#           - a DNS server at 198.51.100.53 resolving lab.test, ok.test and
#             wild.test with every name below it to 198.51.100.10 and
#             2001:db8::10, meta.test to 169.254.169.254, priv.test to
#             10.0.0.5, deb.debian.org (for the registries profile) to
#             198.51.100.10, bulk.test to 198.51.100.11 (where the
#             throughput benchmark starts its own server), all with a TTL
#             of 2 s (egress by name).
#   NAME-b  a bare namespace behind NAME-h (veth, 192.0.2.2/30, NAT by the
#           lab's own table `ip lab`): the path a job takes, without brig,
#           for the throughput benchmark.
#   /etc/netns/NAME-h/resolv.conf points at that DNS server.
set -eu
cmd=$1 name=$2
h=$name-h c=$name-c b=$name-b
state=/run/brig-lab/$name

down() {
	# Whatever still runs in the lab's namespaces: the servers (each runs
	# in one), and the children their `fork` made per connection, which
	# a listener's kill alone leaves behind (a client whose namespace went
	# away never closes its end, so `cat` reads forever) and which pin the
	# namespaces. Left, they pile up by the thousand over a run, and every
	# pivot_root on the machine walks them all.
	for ns in "$h" "$c" "$b"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	done
	ip netns del "$h" 2>/dev/null || true
	ip netns del "$c" 2>/dev/null || true
	ip netns del "$b" 2>/dev/null || true
	rm -rf "$state" "/etc/netns/$h"
}

# Starts a server in a namespace of the lab, where `down` finds it.
serve() {
	ns=$1 tag=$2
	shift 2
	ip netns exec "$ns" "$@" >/dev/null 2>"$state/$tag.log" &
}

sweep() {
	for d in /run/brig-lab/*/; do
		[ -f "$d/owner" ] || continue
		o=$(cat "$d/owner" 2>/dev/null) || continue
		if [ -n "$o" ] && ! kill -0 "$o" 2>/dev/null; then
			"$0" down "$(basename "$d")"
		fi
	done
	return 0
}

up() {
	sweep
	down
	mkdir -p "$state" "/etc/netns/$h"
	# Written whole or not at all: a sweep beside us reads it.
	[ -z "${3:-}" ] || { echo "$3" >"$state/owner.tmp" && mv "$state/owner.tmp" "$state/owner"; }
	ip netns add "$h"
	ip netns add "$c"
	ip -n "$h" link set lo up
	ip -n "$c" link set lo up
	ip link add up0 netns "$h" type veth peer name dn0 netns "$c"
	ip -n "$h" addr add 203.0.113.2/24 dev up0
	ip -n "$h" addr add 2001:db8:1::2/64 dev up0 nodad
	ip -n "$c" addr add 203.0.113.1/24 dev dn0
	ip -n "$c" addr add 2001:db8:1::1/64 dev dn0 nodad
	ip -n "$h" link set up0 up
	ip -n "$c" link set dn0 up
	ip -n "$h" route add default via 203.0.113.1
	ip -n "$h" -6 route add default via 2001:db8:1::1
	for a in 198.51.100.10 198.51.100.11 198.51.100.53 169.254.169.254 100.100.100.200 168.63.129.16 192.0.0.192 \
		10.99.0.10 192.168.77.10 172.16.5.10 100.64.0.10; do
		ip -n "$c" addr add "$a/32" dev lo
	done
	for a in 2001:db8::10 fd00:ec2::254 fd20:ce::254 fc00:99::10; do
		ip -n "$c" addr add "$a/128" dev lo nodad
	done
	for a in 169.254.169.254 100.100.100.200 168.63.129.16 192.0.0.192; do
		serve "$c" "meta-$a" socat "TCP4-LISTEN:80,bind=$a,reuseaddr,fork" SYSTEM:"echo metadata"
	done
	for a in fd00:ec2::254 fd20:ce::254; do
		serve "$c" "meta-$a" socat "TCP6-LISTEN:80,bind=[$a],reuseaddr,fork" SYSTEM:"echo metadata"
	done
	for a in 10.99.0.10 192.168.77.10 172.16.5.10 100.64.0.10; do
		serve "$c" "priv-$a" socat "TCP4-LISTEN:80,bind=$a,reuseaddr,fork" SYSTEM:"echo private"
	done
	serve "$c" priv6 socat "TCP6-LISTEN:80,bind=[fc00:99::10],reuseaddr,fork" SYSTEM:"echo private"
	serve "$c" web4 socat TCP4-LISTEN:80,bind=198.51.100.10,reuseaddr,fork SYSTEM:"echo hello; read -r l && echo \"read \$l\"; exec cat >/dev/null"
	serve "$c" web6 socat "TCP6-LISTEN:80,bind=[2001:db8::10],reuseaddr,fork" SYSTEM:"echo hello; read -r l && echo \"read \$l\"; exec cat >/dev/null"
	# UDP answers from the address it was asked on: one socket per address.
	serve "$c" udp4 socat UDP4-RECVFROM:7,bind=198.51.100.10,fork SYSTEM:"echo pong"
	serve "$c" udp6 socat "UDP6-RECVFROM:7,bind=[2001:db8::10],fork" SYSTEM:"echo pong"
	serve "$c" iperf3 iperf3 --server --bind 198.51.100.10
	# TLS on :443 echoing what it is sent, for the name gate: a throwaway
	# self-signed certificate (the clients do not verify it).
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=ok.test \
		-keyout "$state/tls.key" -out "$state/tls.crt" 2>/dev/null
	tls="cert=$state/tls.crt,key=$state/tls.key,verify=0,reuseaddr,fork"
	serve "$c" tls4 socat "OPENSSL-LISTEN:443,bind=198.51.100.10,$tls" PIPE
	serve "$c" tls6 socat "OPENSSL-LISTEN:443,pf=ip6,bind=[2001:db8::10],$tls" PIPE
	serve "$c" dns dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
		--listen-address=198.51.100.53 --address=/lab.test/198.51.100.10 --pid-file= --local-ttl=2 \
		--address=/ok.test/198.51.100.10 --address=/ok.test/2001:db8::10 \
		--address=/wild.test/198.51.100.10 --address=/wild.test/2001:db8::10 \
		--address=/meta.test/169.254.169.254 --address=/priv.test/10.0.0.5 \
		--address=/deb.debian.org/198.51.100.10 --address=/forge.test/198.51.100.10 \
		--address=/bulk.test/198.51.100.11
	serve "$h" hostlo socat TCP4-LISTEN:8080,bind=127.0.0.1,reuseaddr,fork SYSTEM:"echo host-loopback"
	serve "$h" hostany socat TCP6-LISTEN:8081,ipv6only=0,reuseaddr,fork SYSTEM:"echo host-service"
	echo "nameserver 198.51.100.53" >"/etc/netns/$h/resolv.conf"
	ip netns add "$b"
	ip -n "$b" link set lo up
	ip link add bare0 netns "$h" type veth peer name eth0 netns "$b"
	ip -n "$h" addr add 192.0.2.1/30 dev bare0
	ip -n "$b" addr add 192.0.2.2/30 dev eth0
	ip -n "$h" link set bare0 up
	ip -n "$b" link set eth0 up
	ip -n "$b" route add default via 192.0.2.1
	ip netns exec "$h" sysctl -qw net.ipv4.ip_forward=1
	printf 'table ip lab {\n chain post {\n  type nat hook postrouting priority 100;\n  ip saddr 192.0.2.0/30 oifname "up0" masquerade\n }\n}\n' |
		ip netns exec "$h" nft -f -
	# Every server listens before a test starts.
	i=0
	until lab_ready; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "lab.sh: servers did not start" >&2; cat "$state"/*.log >&2; exit 1; }
		sleep 0.05
	done
}

lab_ready() {
	tcp=$(ip netns exec "$c" ss -Hltn) udp=$(ip netns exec "$c" ss -Hlun) host=$(ip netns exec "$h" ss -Hltn)
	for a in 198.51.100.10:80 '[2001:db8::10]:80' 169.254.169.254:80 100.100.100.200:80 168.63.129.16:80 \
		192.0.0.192:80 '[fd00:ec2::254]:80' '[fd20:ce::254]:80' 10.99.0.10:80 192.168.77.10:80 \
		172.16.5.10:80 100.64.0.10:80 '[fc00:99::10]:80' 198.51.100.10:5201 198.51.100.10:443 \
		'[2001:db8::10]:443'; do
		printf '%s\n' "$tcp" | grep -qF " $a " || return 1
	done
	for a in 198.51.100.10:7 '[2001:db8::10]:7' 198.51.100.53:53; do
		printf '%s\n' "$udp" | grep -qF " $a " || return 1
	done
	printf '%s\n' "$host" | grep -qF "127.0.0.1:8080 " && printf '%s\n' "$host" | grep -qF ":8081 "
}

case $cmd in
up) up "$@" ;;
down) down ;;
*) echo "usage: lab.sh up|down NAME" >&2; exit 2 ;;
esac
