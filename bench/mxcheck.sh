#!/usr/bin/env bash
# bench/mxcheck.sh -- mxcheck at scale, reported as ratios (make bench runs it after run.sh):
#   (c) BENCH_DOMAINS (10000) generated mail domains, 2 MX each with forward and reverse zones,
#       served by mxlabd: mxcheck -j 64 queries per second as a ratio of dnsperf's queries per
#       second on the same query mix and server (target >= 0.3);
#   (d) the same run with 2 % of all queries dropped (mxlabd fault "* * drop p=0.02", mxcheck
#       -t 300 -r 1): its run time as a ratio of the healthy run's (target < 3).
#
#   bench/mxcheck.sh BIN_DIR
#
# Knobs: BENCH_DOMAINS (10000), BENCH_JOBS (64). dnsperf is installed when missing (Debian
# package dnsperf); without it (c) prints n/a. Targets are printed; nothing fails on them.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BIN_DIR" >&2; exit 2; }
BIN_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
JSON=${BENCH_JSON:-$HERE/results.json}
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
DOMAINS=${BENCH_DOMAINS:-10000}
JOBS=${BENCH_JOBS:-64}
T_QPS=0.30
T_DROP=3.00

need_dnsperf

bench_init mxlab-bench-mx

# --- the zones: dN.mail.bench. MX 10 mx1.dN, MX 20 mx2.dN; each host A 198.18/15 (RFC 2544
# benchmark space) with a PTR back to it; the query mix mxcheck sends for one domain.
mkdir -p "$TMP/zones"
awk -v n="$DOMAINS" -v dir="$TMP/zones" -v q="$TMP/queries" -v t="$TMP/targets" 'BEGIN {
	fz = dir "/mail.bench.zone"; r18 = dir "/18.198.in-addr.arpa.zone"; r19 = dir "/19.198.in-addr.arpa.zone"
	print "$ORIGIN mail.bench.\n$TTL 3600\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 192.0.2.53" > fz
	print "$ORIGIN 18.198.in-addr.arpa.\n$TTL 3600\n@ IN SOA ns.mail.bench. hostmaster.mail.bench. 1 3600 600 86400 300\n@ IN NS ns.mail.bench." > r18
	print "$ORIGIN 19.198.in-addr.arpa.\n$TTL 3600\n@ IN SOA ns.mail.bench. hostmaster.mail.bench. 1 3600 600 86400 300\n@ IN NS ns.mail.bench." > r19
	for (i = 0; i < n; i++) {
		d = "d" i
		printf "%s IN MX 10 mx1.%s\n%s IN MX 20 mx2.%s\n", d, d, d, d > fz
		for (h = 1; h <= 2; h++) {
			k = 2 * i + h
			b = 18 + int(k / 65536); c = int(k / 256) % 256; e = k % 256
			printf "mx%d.%s IN A 198.%d.%d.%d\n", h, d, b, c, e > fz
			printf "%d.%d IN PTR mx%d.%s.mail.bench.\n", e, c, h, d > (b == 18 ? r18 : r19)
			printf "mx%d.%s.mail.bench. A\nmx%d.%s.mail.bench. AAAA\n%d.%d.%d.198.in-addr.arpa. PTR\n", h, d, h, d, e, c, b > q
		}
		printf "%s.mail.bench. MX\n", d > q
		print d ".mail.bench" > t
	}
}'
echo "bench: (c) $DOMAINS mail domains ($(wc -l <"$TMP/queries") queries in the mix), mxcheck -j $JOBS"

# start_server DIR [FAULTS]: mxlabd -p 0 on the zones; sets PID and PORT.
start_server() {
	local dir=$1 extra=()
	mkdir -p "$dir"
	[ -n "${2:-}" ] && extra=(-f "$2")
	"$BIN_DIR/mxlabd" -p 0 -a 127.0.0.1 --port-file "$dir/port" -z "$TMP/zones" "${extra[@]}" \
		>"$dir/out" 2>"$dir/stderr" &
	PID=$!
	PIDS+=("$PID")
	PORT=$(wait_port "$dir" "$PID" 30)
}

# run_mxcheck OUT ARGS...: wall ms on stdout; JSON lines in OUT.
run_mxcheck() {
	local out=$1 t0
	shift
	t0=$(now_ms)
	"$BIN_DIR/mxcheck" -s "127.0.0.1@$PORT" --seed 1 --json -j "$JOBS" "$@" -f "$TMP/targets" >"$out" || true
	echo $(($(now_ms) - t0))
}
sum_queries() { grep -o '"queries":[0-9]*' "$1" | awk -F: '{ s += $2 } END { print s + 0 }'; }
verdicts() { grep -o '"verdict":"[a-z]*"' "$1" | sort | uniq -c | awk '{ printf "%s %s ", $2, $1 }' | tr -d '"'; }

start_server "$TMP/healthy"
run_mxcheck "$TMP/warm.json" >/dev/null # warm caches and the page cache
HEALTHY_MS=$(run_mxcheck "$TMP/healthy.json")
HEALTHY_Q=$(sum_queries "$TMP/healthy.json")
MX_QPS=$(awk -v q="$HEALTHY_Q" -v ms="$HEALTHY_MS" 'BEGIN { printf "%.0f", (ms > 0 ? q * 1000 / ms : 0) }')
echo "  mxcheck: $HEALTHY_Q queries in $HEALTHY_MS ms ($MX_QPS/s); $(verdicts "$TMP/healthy.json")"
PERF_QPS=n/a
if [ -n "$DNSPERF" ]; then
	PERF_OUT=$("$DNSPERF" -s 127.0.0.1 -p "$PORT" -d "$TMP/queries" -n 1 -q "$JOBS" -t 2 2>&1 || true)
	PERF_QPS=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' <<<"$PERF_OUT" | head -n 1)
	[ -n "$PERF_QPS" ] || PERF_QPS=n/a
	echo "  dnsperf: $PERF_QPS queries/s ($JOBS outstanding, the same mix once)"
fi
stop "$PID"

echo "bench: (d) the same with 2 % of the queries dropped (-t 300 -r 1)"
printf '*\t*\tdrop\tp=0.02\n' >"$TMP/drop.conf"
start_server "$TMP/drop" "$TMP/drop.conf"
DROP_MS=$(run_mxcheck "$TMP/drop.json" -t 300 -r 1)
echo "  mxcheck: $(sum_queries "$TMP/drop.json") queries in $DROP_MS ms; $(verdicts "$TMP/drop.json")"
# Each dropped query holds its check (one of JOBS) for the whole 300 ms timeout, so the drops
# alone take about 2 % x queries x 300 ms / JOBS however fast the rest is: (d) stays under 3
# only while the healthy run takes more than a third of that.
FLOOR_MS=$(awk -v q="$HEALTHY_Q" -v j="$JOBS" 'BEGIN { printf "%.0f", q * 0.02 * 300 / j }')
echo "  (the timeouts alone: about $FLOOR_MS ms spread over $JOBS checks at once)"
stop "$PID"

R_QPS=$(ratio "$MX_QPS" "$PERF_QPS")
R_DROP=$(ratio "$DROP_MS" "$HEALTHY_MS")
echo
printf '%-40s %12s %12s %10s %10s\n' "metric" "reference" "mxcheck" "ratio" "target"
printf '%-40s %12s %12s %10s %10s %s\n' "queries/s, -j $JOBS vs dnsperf" "$PERF_QPS" "$MX_QPS" "$R_QPS" ">= $T_QPS" "$(atleast "$R_QPS" "$T_QPS")"
printf '%-40s %12s %12s %10s %10s %s\n' "run time, 2 % dropped vs healthy (ms)" "$HEALTHY_MS" "$DROP_MS" "$R_DROP" "< $T_DROP" "$(below "$R_DROP" "$T_DROP")"
json_add "$JSON" mxcheck "$(printf '{"domains": %s, "jobs": %s, "dnsperf_qps": %s, "mxcheck_qps": %s, "qps_ratio": %s, "healthy_ms": %s, "drop_ms": %s, "drop_ratio": %s, "drop_floor_ms": %s}' \
	"$DOMAINS" "$JOBS" "$(jnum "$PERF_QPS")" "$MX_QPS" "$(jnum "$R_QPS")" "$HEALTHY_MS" "$DROP_MS" "$(jnum "$R_DROP")" "$FLOOR_MS")"
echo "bench: mxcheck figures added to $JSON"
