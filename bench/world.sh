#!/usr/bin/env bash
# bench/world.sh -- world mode at scale, reported as ratios (part of make bench):
#   a world of 10,000 zones on 2,000 server addresses (127.53.0.0/16, loopback): start-to-ready
#   time and peak RSS beside the same zones in direct mode (goals <= 1.5x and <= 1.2x), and
#   server CPU per UDP query to one server address beside direct mode and NSD serving that
#   zone (goal: world no worse than direct).
#
#   bench/world.sh BIN_DIR BUILD_DIR
#
# Knobs: BENCH_WORLD_ZONES (10000), BENCH_WORLD_SERVERS (2000), BENCH_QUERIES (200000).
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 BIN_DIR BUILD_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN_DIR=$(cd "$1" && pwd)
BUILD_DIR=$(cd "$2" && pwd)
COMPARE=$BUILD_DIR/tools/compare
LOAD=$BUILD_DIR/tools/load
NZONES=${BENCH_WORLD_ZONES:-10000}
NSERVERS=${BENCH_WORLD_SERVERS:-2000}
QUERIES=${BENCH_QUERIES:-200000}
JSON=${BENCH_JSON:-$HERE/results.json}
. "$ROOT/tests/conformance/nsd.sh"
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
nsd_need bench

bench_init mxlab-bench-world

# Zone i is w<i>.test, served by ns<s>.srv.test at 127.53.<s/250>.<s%250+1> (s = i % servers);
# srv.test holds every server name; each zone has an MX, two hosts and a TXT.
echo "bench: world of $NZONES zones on $NSERVERS servers"
mkdir -p "$TMP/zones"
awk -v nz="$NZONES" -v ns="$NSERVERS" -v dir="$TMP/zones" 'BEGIN {
	f = dir "/srv.test.zone"
	print "$ORIGIN srv.test.\n$TTL 3600\n@ SOA ns0 hostmaster 1 3600 600 86400 300\n@ NS ns0" > f
	for (s = 0; s < ns; s++)
		printf "ns%d A 127.53.%d.%d\n", s, int(s / 250) + 1, s % 250 + 1 > f
	close(f)
	for (i = 0; i < nz; i++) {
		f = dir "/w" i ".test.zone"
		printf "$ORIGIN w%d.test.\n$TTL 3600\n@ SOA ns%d.srv.test. hostmaster 1 3600 600 86400 300\n", i, i % ns > f
		printf "@ NS ns%d.srv.test.\n@ MX 10 mail\nmail A 192.0.2.%d\nwww A 192.0.2.%d\n@ TXT \"v=spf1 -all\"\n", i % ns, i % 250 + 1, i % 250 + 1 > f
		close(f)
	}
}'
# a query file for one zone (w1.test. on ns1.srv.test = 127.53.1.2)
Q=$TMP/q.txt
printf 'w1.test. MX\nmail.w1.test. A\nwww.w1.test. A\nw1.test. TXT\nnx.w1.test. A\n' >"$Q"
ADDR=127.53.1.2

# start_mx DIR ARGS... : mxlabd -p 0 with ARGS; sets MX_PID, MX_PORT and READY_MS (start to ready).
start_mx() {
	local dir=$1 t0
	shift
	mkdir -p "$dir"
	t0=$(now_ms)
	"$BIN_DIR/mxlabd" -p 0 --port-file "$dir/port" "$@" >"$dir/stdout" 2>"$dir/stderr" &
	MX_PID=$!
	PIDS+=("$MX_PID")
	MX_PORT=$(wait_port "$dir" "$MX_PID" 120)
	READY_MS=$(($(now_ms) - t0))
}

start_mx "$TMP/direct" -a 127.0.0.1 -z "$TMP/zones"
D_MS=$READY_MS
"$LOAD" -n 2000 -c 64 "$Q" "$MX_PORT" "$MX_PID" >/dev/null || true
D_OUT=$("$LOAD" -n "$QUERIES" -c 64 "$Q" "$MX_PORT" "$MX_PID") || true
D_HWM=$("$LOAD" -m "$MX_PID")
stop "$MX_PID"

start_mx "$TMP/world" --world -z "$TMP/zones"
W_MS=$READY_MS
"$LOAD" -n 2000 -c 64 -a "$ADDR" "$Q" "$MX_PORT" "$MX_PID" >/dev/null || true
W_OUT=$("$LOAD" -n "$QUERIES" -c 64 -a "$ADDR" "$Q" "$MX_PORT" "$MX_PID") || true
W_HWM=$("$LOAD" -m "$MX_PID")

stop "$MX_PID"

NSD_PORT=$("$COMPARE" -P)
nsd_write_conf "$TMP/nsd" "$NSD_PORT" "" "" "$TMP/zones/w1.test.zone"
"$NSD" -d -c "$TMP/nsd/nsd.conf" >"$TMP/nsd/stdout" 2>&1 &
NSD_PID=$!
PIDS+=("$NSD_PID")
"$COMPARE" -w 15000 "$NSD_PORT"
"$LOAD" -n 2000 -c 64 "$Q" "$NSD_PORT" "$NSD_PID" >/dev/null || true
N_OUT=$("$LOAD" -n "$QUERIES" -c 64 "$Q" "$NSD_PORT" "$NSD_PID") || true
stop "$NSD_PID" "$TMP/nsd/nsd.pid"

D_US=$(field us_per_query "$D_OUT")
W_US=$(field us_per_query "$W_OUT")
N_US=$(field us_per_query "$N_OUT")
R_MS=$(ratio "$W_MS" "$D_MS")
R_HWM=$(ratio "$W_HWM" "$D_HWM")
R_US=$(ratio "$W_US" "$D_US")
echo
printf '%-40s %12s %12s %10s %10s\n' "world mode ($NZONES zones, $NSERVERS servers)" "direct" "world" "ratio" "target"
printf '%-40s %12s %12s %10s %10s %s\n' "start to ready (ms)" "$D_MS" "$W_MS" "$R_MS" "<= 1.50" "$(verdict "$R_MS" 1.50)"
printf '%-40s %12s %12s %10s %10s %s\n' "peak RSS, VmHWM (kB)" "$D_HWM" "$W_HWM" "$R_HWM" "<= 1.20" "$(verdict "$R_HWM" 1.20)"
printf '%-40s %12s %12s %10s %10s %s\n' "CPU per UDP query, one server (us)" "$D_US" "$W_US" "$R_US" "<= 1.00" "$(verdict "$R_US" 1.00)"
printf '%-40s %12s %12s %10s\n' "  the same zone on NSD (us)" "$N_US" "" "$(ratio "$W_US" "$N_US")"
json_add "$JSON" world "$(printf '{"zones": %s, "servers": %s, "direct_ready_ms": %s, "world_ready_ms": %s, "ready_ratio": %s, "direct_kb": %s, "world_kb": %s, "rss_ratio": %s, "direct_us": %s, "world_us": %s, "cpu_ratio": %s, "nsd_us": %s}' \
	"$NZONES" "$NSERVERS" "$D_MS" "$W_MS" "$(jnum "$R_MS")" "$D_HWM" "$W_HWM" "$(jnum "$R_HWM")" \
	"$(jnum "$D_US")" "$(jnum "$W_US")" "$(jnum "$R_US")" "$(jnum "$N_US")")"
echo "bench: world figures added to $JSON"
