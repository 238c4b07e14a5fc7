#!/usr/bin/env bash
# bench/run.sh -- mxlabd side by side with NSD, reported as ratios:
#   (a) server CPU time per UDP query (utime+stime from /proc) under a bounded closed-loop load,
#   (b) server CPU time per query at a fixed offered load (dnsperf -Q), over UDP and over TCP
#       (8 connections, queries pipelined), the load generator and the server each on a core
#       of their own when there are two; beside them, for information, the floor over UDP
#       (build/tools/echo: every datagram sent back, nothing else) and over TCP an NSD whose
#       connections have TCP_NODELAY as mxlabd's do (build/tools/nodelay.so preloaded),
#   (c) load time and peak RSS (VmHWM) for a generated zone of 1,000,000 records,
#   (d) mxlabd alone: CPU per query with 10,000 fault rules that match none of the queries
#       (exact names, "*." suffixes, typed) against the same server with no rules.
#   (e) server CPU time per UDP query with DO on zones signed with ldns-signzone (NSEC, NSEC3),
#   (f) signing and serving a generated zone: mxlabd --sign until ready vs ldns-signzone plus
#       NSD loading the signed zone, and both peak RSS.
# The figures also go to bench/results.json (BENCH_JSON to put them elsewhere).
#
#   bench/run.sh BIN_DIR BUILD_DIR
#
# Knobs (environment): BENCH_QUERIES (200000 per round), BENCH_OUTSTANDING (64), BENCH_ROUNDS
# (3, alternating servers; the median is reported with the spread), BENCH_RECORDS (1000000),
# BENCH_UDP_QPS (40000), BENCH_TCP_QPS (15000), BENCH_SECONDS (6 per fixed-load round),
# BENCH_FIXED_ROUNDS (7 rounds of the fixed-load part; which server goes first alternates),
# BENCH_ZONE_ROUNDS (5
# alternating rounds of the zone-load part),
# BENCH_RULES (10000), BENCH_PART (all; "rules" runs only (d), which needs no NSD; "zone"
# only (c); "sign" only (f); "fixed" only (b)), BENCH_SIGN_RECORDS (records of the zone signed
# in (f), 1000000).
# dnsperf comes from Debian (installed when missing); without it (b) is skipped, loudly.
# Targets are printed next to the ratios; nothing fails on them. Not part of CI.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 BIN_DIR BUILD_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN_DIR=$(cd "$1" && pwd)
BUILD_DIR=$(cd "$2" && pwd)
COMPARE=$BUILD_DIR/tools/compare
LOAD=$BUILD_DIR/tools/load
ZONES=$ROOT/tests/conformance/zones
QUERIES=${BENCH_QUERIES:-200000}
OUTSTANDING=${BENCH_OUTSTANDING:-64}
RECORDS=${BENCH_RECORDS:-1000000}
ROUNDS=${BENCH_ROUNDS:-3}
# part (b) swings most from run to run on a virtual machine (a round's ratio anywhere from
# 0.7 to 1.4 on a 2-core VM): more, shorter rounds for its medians
FIXED_ROUNDS=${BENCH_FIXED_ROUNDS:-7}
# and so does the zone load, which is quick (about 2 s a round)
ZONE_ROUNDS=${BENCH_ZONE_ROUNDS:-5}
UDP_QPS=${BENCH_UDP_QPS:-40000}
TCP_QPS=${BENCH_TCP_QPS:-15000}
SECONDS_FIXED=${BENCH_SECONDS:-6}
JSON=${BENCH_JSON:-$HERE/results.json}
# Targets (ratio mxlabd/NSD), printed only.
T_CPU=1.50
T_FIXED_UDP=0.90
T_FIXED_TCP=1.00
T_RULES=1.10 # (d): mxlabd with BENCH_RULES rules / mxlabd with none
T_DO_CPU=1.00  # (e) issue: CPU per DO query on a signed zone <= NSD
T_SIGN=0.50    # (f) issue: --sign until serving <= half of ldns-signzone + NSD load
T_SIGN_RSS=0.80
SIGN_RECORDS=${BENCH_SIGN_RECORDS:-1000000}
RULES=${BENCH_RULES:-10000}
PART=${BENCH_PART:-all}
case $PART in
all | zone | rules | sign | fixed) ;;
*) echo "bench: BENCH_PART=$PART: not one of zone, rules, sign, fixed, world, mxcheck" >&2; exit 2 ;;
esac
T_LOAD=0.30
T_RSS=0.65

for t in "$COMPARE" "$LOAD" "$BIN_DIR/mxlabd"; do
	[ -x "$t" ] || { echo "bench: $t not built (make bench)" >&2; exit 2; }
done
# shellcheck source=tests/conformance/nsd.sh
. "$ROOT/tests/conformance/nsd.sh"
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
[ "$PART" = rules ] || nsd_need bench

bench_init mxlab-bench

# With two cores or more, the server runs on core 1 and the load generator on core 0, so
# neither steals the other's CPU (what the figures compare is the server's CPU per query).
PIN_SERVER= PIN_LOAD=
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
	PIN_SERVER="taskset -c 1"
	PIN_LOAD="taskset -c 0"
fi

DNSPERF=
[ "$PART" = rules ] || need_dnsperf
grep -v '^#' "$HERE/queries.txt" | awk 'NF == 2' >"$TMP/dnsperf.txt"

# fixed_load MODE QPS PORT PID : dnsperf at QPS for SECONDS_FIXED s (TCP: 8 connections);
# prints "us_per_query completed latency_us" (dnsperf's average latency).
fixed_load() {
	local c0 c1 out n lat
	c0=$("$LOAD" -t "$4")
	out=$($PIN_LOAD "$DNSPERF" -m "$1" -c 8 -q 64 -Q "$2" -l "$SECONDS_FIXED" -s 127.0.0.1 -p "$3" -d "$TMP/dnsperf.txt" 2>&1) || true
	c1=$("$LOAD" -t "$4")
	n=$(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' <<<"$out")
	lat=$(sed -n 's/.*Average Latency (s): *\([0-9.]*\).*/\1/p' <<<"$out")
	awk -v c="$((c1 - c0))" -v n="${n:-0}" -v l="${lat:-0}" 'BEGIN { if (n > 0) printf "%.2f %d %.0f\n", c * 1000 / n, n, l * 1e6; else print "0 0 0" }'
}

# closed_rounds QUERYFILE LABEL_A PORT_A PID_A LABEL_B PORT_B PID_B : a warm-up, then ROUNDS
# alternating rounds of QUERIES closed-loop UDP queries to A and to B (build/tools/load);
# sets A_US, B_US (median server CPU per query) and A_QPS, B_QPS (median queries/s).
closed_rounds() {
	local q=$1 round out us_a=() us_b=() qps_a=() qps_b=()
	"$LOAD" -n 2000 -c "$OUTSTANDING" "$q" "$3" "$4" >/dev/null || true
	"$LOAD" -n 2000 -c "$OUTSTANDING" "$q" "$6" "$7" >/dev/null || true
	for round in $(seq 1 "$ROUNDS"); do
		out=$("$LOAD" -n "$QUERIES" -c "$OUTSTANDING" "$q" "$3" "$4") || true
		printf '  round %s %-12s %s\n' "$round" "$2:" "$out"
		us_a+=("$(field us_per_query "$out")") qps_a+=("$(field qps "$out")")
		out=$("$LOAD" -n "$QUERIES" -c "$OUTSTANDING" "$q" "$6" "$7") || true
		printf '  round %s %-12s %s\n' "$round" "$5:" "$out"
		us_b+=("$(field us_per_query "$out")") qps_b+=("$(field qps "$out")")
	done
	A_US=$(median "${us_a[@]}") B_US=$(median "${us_b[@]}")
	A_QPS=$(median "${qps_a[@]}") B_QPS=$(median "${qps_b[@]}")
}

# nsd_start DIR ZONEFILE... : start NSD on a free port; sets NSD_PID, NSD_PORT (not yet ready).
nsd_start() {
	local dir=$1
	shift
	NSD_PORT=$("$COMPARE" -P)
	nsd_write_conf "$dir" "$NSD_PORT" "" "" "$@"
	$PIN_SERVER "$NSD" -d -c "$dir/nsd.conf" >"$dir/stdout" 2>&1 &
	NSD_PID=$!
	NSD_PIDFILE=$dir/nsd.pid
	PIDS+=("$NSD_PID")
}

# mx_launch DIR PORT ARGS... : start mxlabd on 127.0.0.1:PORT with ARGS, output in DIR;
# sets MX_PID.
mx_launch() {
	local dir=$1 port=$2
	shift 2
	mkdir -p "$dir"
	$PIN_SERVER "$BIN_DIR/mxlabd" -p "$port" -a 127.0.0.1 "$@" >"$dir/stdout" 2>"$dir/stderr" &
	MX_PID=$!
	PIDS+=("$MX_PID")
}
# mx_start DIR ZONEFILE... : start mxlabd -p 0; sets MX_PID (port in DIR/port when ready).
mx_start() {
	mx_launch "$1" 0 --port-file "$1/port" "${@:2}"
}


# sign_with_ldns ORIGIN SRC OUT [options] : ldns-keygen a KSK and a ZSK, then ldns-signzone.
sign_with_ldns() {
	local origin=$1 src=$2 out=$3 ksk zsk
	mkdir -p "$TMP/keys"
	shift 3
	ksk=$(cd "$TMP/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$origin")
	zsk=$(cd "$TMP/keys" && ldns-keygen -a ECDSAP256SHA256 "$origin")
	ldns-signzone "$@" -o "$origin" -f "$out" "$src" "$TMP/keys/$ksk" "$TMP/keys/$zsk"
}

# ---------------------------------------------------------------- (c) a 1M-record zone
# gen_zone ORIGIN RECORDS OUT : a zone of RECORDS records (hosts with A, every 2nd AAAA, every
# 4th MX, every 8th TXT), the same mix for the load part and the signing part.
gen_zone() {
	awk -v o="$1" -v n="$2" 'BEGIN {
		print "$ORIGIN " o "."
		print "$TTL 3600"
		print "@ IN SOA ns1 hostmaster 1 3600 600 86400 300"
		print "@ IN NS ns1"
		print "ns1 IN A 192.0.2.1"
		n -= 3
		for (i = 0; n > 0; i++) {
			printf "h%d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256; n--
			if (n > 0 && i % 2 == 0) { printf "h%d IN AAAA 2001:db8::%x:%x\n", i, int(i / 65536), i % 65536; n-- }
			if (n > 0 && i % 4 == 0) { printf "h%d IN MX 10 h%d\n", i, i + 1; n-- }
			if (n > 0 && i % 8 == 0) { printf "h%d IN TXT \"v=spf1 ip4:10.0.0.%d -all\"\n", i, i % 256; n-- }
		}
	}' >"$3"
	echo "  $(wc -l <"$3") lines, $(($(stat -c %s "$3") / 1048576)) MiB"
}
# nsd_ready DIR ORIGIN TIMEOUT_MS ZONEFILE : NSD from start until it answers ORIGIN's SOA;
# sets READY_MS and HWM (peak RSS, kB), then stops it.
nsd_ready() {
	local t0
	t0=$(now_ms)
	nsd_start "$1" "$4"
	"$COMPARE" -w "$3" -s -n "$2" "$NSD_PORT"
	READY_MS=$(($(now_ms) - t0))
	HWM=$("$LOAD" -m "$NSD_PID")
	stop "$NSD_PID" "$NSD_PIDFILE"
}
# mx_ready DIR ORIGIN TIMEOUT_S ARGS... : the same for mxlabd started with ARGS, measured
# the same way: on a port chosen beforehand, until compare sees the authoritative SOA.
mx_ready() {
	local dir=$1 origin=$2 timeout=$3 t0 port
	shift 3
	port=$("$COMPARE" -P)
	t0=$(now_ms)
	mx_launch "$dir" "$port" "$@"
	if ! "$COMPARE" -w $((timeout * 1000)) -s -n "$origin" "$port"; then
		echo "bench: mxlabd not ready:" >&2
		tail -n 5 "$dir/stderr" >&2 || true
		return 1
	fi
	READY_MS=$(($(now_ms) - t0))
	HWM=$("$LOAD" -m "$MX_PID")
	stop "$MX_PID"
}
# Nothing else runs while a zone loads, so here the servers are not pinned: either may use
# both cores (NSD loads on one; mxlabd signs on two).
# zone_part: sets NSD_LOAD_MS, NSD_HWM, MX_LOAD_MS, MX_HWM.
zone_part() {
	local PIN_SERVER=
	echo "bench: (c) generating a zone of $RECORDS records"
	local round nms=() nkb=() mms=() mkb=()
	gen_zone big.test "$RECORDS" "$TMP/big.test.zone"
	for round in $(seq 1 "$ZONE_ROUNDS"); do
		nsd_ready "$TMP/nsdbig$round" big.test 120000 "$TMP/big.test.zone"
		nms+=("$READY_MS") nkb+=("$HWM")
		mx_ready "$TMP/mxbig$round" big.test 120 "$TMP/big.test.zone"
		mms+=("$READY_MS") mkb+=("$HWM")
		echo "  round $round: nsd ${nms[-1]} ms, mxlabd ${mms[-1]} ms"
	done
	NSD_LOAD_MS=$(median "${nms[@]}") NSD_HWM=$(median "${nkb[@]}")
	MX_LOAD_MS=$(median "${mms[@]}") MX_HWM=$(median "${mkb[@]}")
	LOAD_SPREAD="nsd $(spread "${nms[@]}"), mxlabd $(spread "${mms[@]}")"
}
zone_rows() {
	R_LOAD=$(ratio "$MX_LOAD_MS" "$NSD_LOAD_MS")
	R_RSS=$(ratio "$MX_HWM" "$NSD_HWM")
	printf '%-34s %12s %12s %10s %10s %s  (spread %s)\n' "load ${RECORDS}-record zone (ms)" "$NSD_LOAD_MS" "$MX_LOAD_MS" "$R_LOAD" "<= $T_LOAD" "$(verdict "$R_LOAD" "$T_LOAD")" "$LOAD_SPREAD"
	printf '%-34s %12s %12s %10s %10s %s\n' "peak RSS, VmHWM (kB)" "$NSD_HWM" "$MX_HWM" "$R_RSS" "<= $T_RSS" "$(verdict "$R_RSS" "$T_RSS")"
}
# ---------------------------------------------------------------- (f) sign and serve
# sign_part: sets LDNS_SIGN_MS, NSD_SLOAD_MS, NSD_SHWM, MX_SIGN_MS, MX_SHWM (unpinned, as (c)).
sign_part() {
	local PIN_SERVER= t0
	echo "bench: (f) signing a zone of $SIGN_RECORDS records"
	gen_zone sbig.test "$SIGN_RECORDS" "$TMP/sbig.test.zone"
	t0=$(now_ms)
	mkdir -p "$TMP/sbigsigned"
	sign_with_ldns sbig.test "$TMP/sbig.test.zone" "$TMP/sbigsigned/sbig.test.zone"
	LDNS_SIGN_MS=$(($(now_ms) - t0))
	nsd_ready "$TMP/nsdsbig" sbig.test 600000 "$TMP/sbigsigned/sbig.test.zone"
	NSD_SLOAD_MS=$READY_MS NSD_SHWM=$HWM
	mx_ready "$TMP/mxsbig" sbig.test 600 --sign "$TMP/sbig.test.zone"
	MX_SIGN_MS=$READY_MS MX_SHWM=$HWM
}
sign_rows() {
	R_SIGN=$(ratio "$MX_SIGN_MS" "$((LDNS_SIGN_MS + NSD_SLOAD_MS))")
	R_SRSS=$(ratio "$MX_SHWM" "$NSD_SHWM")
	printf '%-34s %12s %12s %10s %10s %s\n' "sign+serve ${SIGN_RECORDS} rec. (ms)" "$((LDNS_SIGN_MS + NSD_SLOAD_MS))" "$MX_SIGN_MS" "$R_SIGN" "<= $T_SIGN" "$(verdict "$R_SIGN" "$T_SIGN")"
	printf '%-34s %12s %12s %10s %10s\n' "  of which ldns-signzone (info)" "$LDNS_SIGN_MS" "-" "-" "-"
	printf '%-34s %12s %12s %10s %10s %s\n' "peak RSS signed, VmHWM (kB)" "$NSD_SHWM" "$MX_SHWM" "$R_SRSS" "<= $T_SIGN_RSS" "$(verdict "$R_SRSS" "$T_SIGN_RSS")"
}
need_ldns() { command -v ldns-signzone >/dev/null 2>&1 || { echo "bench: ldns-signzone missing (apt-get install ldnsutils)" >&2; exit 2; }; }
if [ "$PART" = sign ]; then
	need_ldns
	sign_part
	echo
	printf '%-34s %12s %12s %10s %10s\n' "metric" "nsd" "mxlabd" "ratio" "target"
	sign_rows
	exit 0
fi
if [ "$PART" = zone ]; then
	zone_part
	echo
	printf '%-34s %12s %12s %10s %10s\n' "metric" "nsd" "mxlabd" "ratio" "target"
	zone_rows
	exit 0
fi

# ---------------------------------------------------------------- (d) many fault rules
if [ "$PART" != fixed ]; then
echo "bench: (d) $ROUNDS rounds of $QUERIES UDP queries to mxlabd with 0 and with $RULES fault rules"
awk -v n="$RULES" 'BEGIN {
	for (i = 0; i < n; i++) {
		if (i % 3 == 0) printf "r%d.nomatch.test. * drop\n", i
		else if (i % 3 == 1) printf "*.r%d.example.test. A rcode=SERVFAIL\n", i
		else printf "h%d.example.test. MX noaa count=5\n", i
	}
}' >"$TMP/rules.conf"
mx_start "$TMP/mx0" "$ZONES"/*.zone
MX0_PORT=$(wait_port "$TMP/mx0" "$MX_PID" 15)
MX0_PID=$MX_PID
mx_start "$TMP/mxr" "$ZONES"/*.zone -f "$TMP/rules.conf"
MXR_PORT=$(wait_port "$TMP/mxr" "$MX_PID" 30)
MXR_PID=$MX_PID
closed_rounds "$HERE/queries.txt" "0 rules" "$MX0_PORT" "$MX0_PID" "$RULES rules" "$MXR_PORT" "$MXR_PID"
R0_US=$A_US RN_US=$B_US
stop "$MX0_PID"
stop "$MXR_PID"
R_RULES=$(ratio "$RN_US" "$R0_US")
rules_row() {
	printf '%-34s %12s %12s %10s %10s %s\n' "CPU/query, $RULES rules (us)" "0 rules: $R0_US" "$RN_US" "$R_RULES" "<= $T_RULES" "$(verdict "$R_RULES" "$T_RULES")"
}
if [ "$PART" = rules ]; then
	echo
	printf '%-34s %12s %12s %10s %10s\n' "metric" "baseline" "mxlabd" "ratio" "target"
	rules_row
	exit 0
fi
fi

# ---------------------------------------------------------------- (a) CPU per UDP query
echo "bench: (a) $ROUNDS rounds of $QUERIES UDP queries, $OUTSTANDING outstanding, to each server"
nsd_start "$TMP/nsd" "$ZONES"/*.zone
"$COMPARE" -w 15000 "$NSD_PORT"
mx_start "$TMP/mx" "$ZONES"/*.zone
MX_PORT=$(wait_port "$TMP/mx" "$MX_PID" 15)
"$COMPARE" -w 15000 "$MX_PORT"

if [ "$PART" != fixed ]; then
	closed_rounds "$HERE/queries.txt" nsd "$NSD_PORT" "$NSD_PID" mxlabd "$MX_PORT" "$MX_PID"
	NSD_US=$A_US MX_US=$B_US NSD_QPS=$A_QPS MX_QPS=$B_QPS
fi

# ---------------------------------------------------------------- (b) fixed offered load
# fixed_rows: the (b) rows of the table; sets FIXED_JSON.
fixed_rows() {
	FIXED_JSON=
	if [ ${#FIX_MX_TCP[@]} -gt 0 ]; then
		for mode in udp tcp; do
			if [ "$mode" = udp ]; then
				nv=("${FIX_NSD_UDP[@]}") mv=("${FIX_MX_UDP[@]}") q=$UDP_QPS t=$T_FIXED_UDP
				nl=("${LAT_NSD_UDP[@]}") ml=("${LAT_MX_UDP[@]}")
			else
				nv=("${FIX_NSD_TCP[@]}") mv=("${FIX_MX_TCP[@]}") q=$TCP_QPS t=$T_FIXED_TCP
				nl=("${LAT_NSD_TCP[@]}") ml=("${LAT_MX_TCP[@]}")
			fi
			n=$(median "${nv[@]}") m=$(median "${mv[@]}") r=$(ratio "$m" "$n")
			rr=()
			for i in "${!nv[@]}"; do rr+=("$(ratio "${mv[$i]}" "${nv[$i]}")"); done
			printf '%-34s %12s %12s %10s %10s %s  (spread nsd %s, mxlabd %s; round by round %s)\n' \
				"CPU/query, $q qps ${mode^^} (us)" "$n" "$m" "$r" "<= $t" "$(verdict "$r" "$t")" \
				"$(spread "${nv[@]}")" "$(spread "${mv[@]}")" "$(IFS=' '; echo "${rr[*]}")"
			printf '%-34s %12s %12s %10s %10s\n' "  dnsperf's latency (us, info)" \
				"$(median "${nl[@]}")" "$(median "${ml[@]}")" - -
			if [ "$mode" = udp ]; then
				x=$(median "${FIX_ECHO[@]}") xr=$(ratio "$x" "$n")
				# the floor: what answering costs with no server code at all
				printf '%-34s %12s %12s %10s %10s  (spread %s; mxlabd/echo %s)\n' \
					"  echo responder, the floor (info)" "$n" "echo: $x" "$xr" - \
					"$(spread "${FIX_ECHO[@]}")" "$(ratio "$m" "$x")"
				extra=$(printf ', "echo_us": %s, "echo_ratio": %s, "echo_rounds": [%s]' \
					"$x" "$xr" "$(IFS=,; echo "${FIX_ECHO[*]}")")
			else
				x=$(median "${FIX_ND[@]}") xr=$(ratio "$m" "$x")
				printf '%-34s %12s %12s %10s %10s  (spread %s; its latency %s us)\n' \
					"  vs NSD with TCP_NODELAY (info)" "$x" "$m" "$xr" - \
					"$(spread "${FIX_ND[@]}")" "$(median "${LAT_ND[@]}")"
				extra=$(printf ', "nsd_nodelay_us": %s, "nodelay_ratio": %s, "nsd_nodelay_rounds": [%s], "nsd_nodelay_latency_us": %s' \
					"$x" "$xr" "$(IFS=,; echo "${FIX_ND[*]}")" "$(median "${LAT_ND[@]}")")
			fi
			FIXED_JSON+=$(printf ',\n  "%s_fixed": {"qps": %s, "nsd_us": %s, "mxlabd_us": %s, "ratio": %s, "target": %s, "nsd_rounds": [%s], "mxlabd_rounds": [%s], "round_ratios": [%s], "nsd_latency_us": %s, "mxlabd_latency_us": %s%s}' \
				"$mode" "$q" "$n" "$m" "$r" "$t" "$(IFS=,; echo "${nv[*]}")" "$(IFS=,; echo "${mv[*]}")" \
				"$(IFS=,; echo "${rr[*]}")" "$(median "${nl[@]}")" "$(median "${ml[@]}")" "$extra")
		done
	fi
}
FIX_NSD_UDP=() FIX_MX_UDP=() FIX_NSD_TCP=() FIX_MX_TCP=()
LAT_NSD_UDP=() LAT_MX_UDP=() LAT_NSD_TCP=() LAT_MX_TCP=()
FIX_ECHO=() FIX_ND=() LAT_ND=()
if [ -n "$DNSPERF" ]; then
	echo "bench: (b) $FIXED_ROUNDS rounds of ${SECONDS_FIXED} s at $UDP_QPS UDP and $TCP_QPS TCP queries/s (8 connections) to each server"
	# two references beside NSD, for information: the floor over UDP (build/tools/echo sends
	# every datagram back, nothing else), and over TCP an NSD whose connections have
	# TCP_NODELAY as mxlabd's do (NSD leaves Nagle's algorithm on)
	mkdir -p "$TMP/echo"
	$PIN_SERVER "$BUILD_DIR/tools/echo" "$TMP/echo/port" >"$TMP/echo/stderr" 2>&1 &
	ECHO_PID=$!
	PIDS+=("$ECHO_PID")
	ECHO_PORT=$(wait_port "$TMP/echo" "$ECHO_PID" 15)
	M_NSD_PID=$NSD_PID M_NSD_PORT=$NSD_PORT M_NSD_PIDFILE=$NSD_PIDFILE
	LD_PRELOAD=$BUILD_DIR/tools/nodelay.so nsd_start "$TMP/nsdnd" "$ZONES"/*.zone
	ND_PID=$NSD_PID ND_PORT=$NSD_PORT ND_PIDFILE=$NSD_PIDFILE
	NSD_PID=$M_NSD_PID NSD_PORT=$M_NSD_PORT NSD_PIDFILE=$M_NSD_PIDFILE
	"$COMPARE" -w 15000 "$ND_PORT"
	for round in $(seq 1 "$FIXED_ROUNDS"); do
		for mode in udp tcp; do
			qps=$UDP_QPS
			[ "$mode" = tcp ] && qps=$TCP_QPS
			# who goes first alternates from round to round (nsd, mxlabd, then mxlabd, nsd),
			# so a machine that drifts slower or faster during a run favours neither
			if [ $((round % 2)) = 1 ]; then
				read -r n_us n_done n_lat < <(fixed_load "$mode" "$qps" "$NSD_PORT" "$NSD_PID")
				read -r m_us m_done m_lat < <(fixed_load "$mode" "$qps" "$MX_PORT" "$MX_PID")
			else
				read -r m_us m_done m_lat < <(fixed_load "$mode" "$qps" "$MX_PORT" "$MX_PID")
				read -r n_us n_done n_lat < <(fixed_load "$mode" "$qps" "$NSD_PORT" "$NSD_PID")
			fi
			echo "  round $round $mode: nsd $n_us us/query ($n_done answered, latency $n_lat us), mxlabd $m_us us/query ($m_done answered, latency $m_lat us), ratio $(ratio "$m_us" "$n_us")"
			if [ "$mode" = udp ]; then
				FIX_NSD_UDP+=("$n_us") FIX_MX_UDP+=("$m_us")
				LAT_NSD_UDP+=("$n_lat") LAT_MX_UDP+=("$m_lat")
				read -r x_us x_done x_lat < <(fixed_load udp "$qps" "$ECHO_PORT" "$ECHO_PID")
				echo "  round $round udp: echo $x_us us/query ($x_done answered, latency $x_lat us)"
				FIX_ECHO+=("$x_us")
			else
				FIX_NSD_TCP+=("$n_us") FIX_MX_TCP+=("$m_us")
				LAT_NSD_TCP+=("$n_lat") LAT_MX_TCP+=("$m_lat")
				read -r x_us x_done x_lat < <(fixed_load tcp "$qps" "$ND_PORT" "$ND_PID")
				echo "  round $round tcp: nsd with TCP_NODELAY $x_us us/query ($x_done answered, latency $x_lat us)"
				FIX_ND+=("$x_us") LAT_ND+=("$x_lat")
			fi
		done
	done
	stop "$ECHO_PID"
	stop "$ND_PID" "$ND_PIDFILE"
fi
stop "$NSD_PID" "$NSD_PIDFILE"
stop "$MX_PID"
if [ "$PART" = fixed ]; then
	echo
	printf '%-34s %12s %12s %10s %10s\n' "metric" "nsd" "mxlabd" "ratio" "target"
	fixed_rows
	exit 0
fi

zone_part

# ---------------------------------------------------------------- (e) DO queries, signed zones
need_ldns
echo "bench: (e) signing the DNSSEC conformance zones with ldns-signzone, DO queries"
mkdir -p "$TMP/signed"
sign_with_ldns nsec.test "$ROOT/tests/conformance/signed/nsec.test.zone" "$TMP/signed/nsec.test.zone"
sign_with_ldns n3.test "$ROOT/tests/conformance/signed/n3.test.zone" "$TMP/signed/n3.test.zone" -n -t 0
nsd_start "$TMP/nsdsig" "$TMP/signed"/*.zone
"$COMPARE" -w 15000 "$NSD_PORT"
mx_start "$TMP/mxsig" "$TMP/signed"/*.zone
MX_PORT=$(wait_port "$TMP/mxsig" "$MX_PID" 15)
closed_rounds "$HERE/queries-dnssec.txt" nsd "$NSD_PORT" "$NSD_PID" mxlabd "$MX_PORT" "$MX_PID"
NSD_DO=$A_US MX_DO=$B_US
stop "$NSD_PID" "$NSD_PIDFILE"
stop "$MX_PID"

sign_part

# ---------------------------------------------------------------- table
R_CPU=$(ratio "$MX_US" "$NSD_US")
R_QPS=$(ratio "$MX_QPS" "$NSD_QPS")
echo
printf '%-34s %12s %12s %10s %10s\n' "metric" "nsd" "mxlabd" "ratio" "target"
printf '%-34s %12s %12s %10s %10s %s\n' "CPU per UDP query (us)" "$NSD_US" "$MX_US" "$R_CPU" "<= $T_CPU" "$(verdict "$R_CPU" "$T_CPU")"
printf '%-34s %12s %12s %10s %10s\n' "queries/s, closed loop (info)" "$NSD_QPS" "$MX_QPS" "$R_QPS" "-"
fixed_rows
zone_rows
rules_row
R_DO=$(ratio "$MX_DO" "$NSD_DO")
printf '%-34s %12s %12s %10s %10s %s\n' "CPU per DO query, signed (us)" "$NSD_DO" "$MX_DO" "$R_DO" "<= $T_DO_CPU" "$(verdict "$R_DO" "$T_DO_CPU")"
sign_rows

{
	printf '{\n  "udp_closed_loop": {"nsd_us": %s, "mxlabd_us": %s, "ratio": %s, "nsd_qps": %s, "mxlabd_qps": %s}' \
		"$NSD_US" "$MX_US" "$R_CPU" "$NSD_QPS" "$MX_QPS"
	printf '%s' "$FIXED_JSON"
	printf ',\n  "zone_load": {"records": %s, "nsd_ms": %s, "mxlabd_ms": %s, "ratio": %s}' \
		"$RECORDS" "$NSD_LOAD_MS" "$MX_LOAD_MS" "$R_LOAD"
	printf ',\n  "peak_rss": {"nsd_kb": %s, "mxlabd_kb": %s, "ratio": %s}' "$NSD_HWM" "$MX_HWM" "$R_RSS"
	printf ',\n  "fault_rules": {"rules": %s, "none_us": %s, "rules_us": %s, "ratio": %s, "target": %s}' \
		"$RULES" "$R0_US" "$RN_US" "$R_RULES" "$T_RULES"
	printf ',\n  "dnssec_do": {"nsd_us": %s, "mxlabd_us": %s, "ratio": %s}' "$NSD_DO" "$MX_DO" "$R_DO"
	printf ',\n  "sign_and_serve": {"records": %s, "ldns_nsd_ms": %s, "mxlabd_ms": %s, "ratio": %s, "nsd_kb": %s, "mxlabd_kb": %s, "rss_ratio": %s}\n}\n' \
		"$SIGN_RECORDS" "$((LDNS_SIGN_MS + NSD_SLOAD_MS))" "$MX_SIGN_MS" "$R_SIGN" "$NSD_SHWM" "$MX_SHWM" "$R_SRSS"
} >"$JSON"
echo "bench: figures written to $JSON"
