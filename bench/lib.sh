# bench/lib.sh -- what the benchmark scripts share: a scratch directory whose servers die with
# the script, bounded waits, medians and ratios, dnsperf on demand, and results.json.
# Sourced (not run) by bench/run.sh, bench/world.sh and bench/mxcheck.sh.

# bench_init PREFIX : make TMP (removed on exit) and PIDS (every server started; stopped on exit).
bench_init() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	PIDS=()
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# stop PID [PIDFILE] : TERM (and TERM to the main process named in PIDFILE, NSD's), a bounded
# wait, then KILL.
stop() {
	{ [ -n "${2:-}" ] && [ -s "$2" ] && kill -TERM "$(cat "$2")"; } 2>/dev/null || true
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

bench_cleanup() {
	local pid
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do stop "$pid"; done
	rm -rf "$TMP"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_port DIR PID TIMEOUT_S : wait for mxlabd's --port-file DIR/port; prints the port, or
# shows the end of DIR/stderr and fails when the server died or the time ran out.
wait_port() {
	local i
	for i in $(seq 1 $(($3 * 20))); do
		[ -s "$1/port" ] && { head -n 1 "$1/port"; return 0; }
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: mxlabd not ready:" >&2
	tail -n 5 "$1/stderr" >&2 || true
	return 1
}

# need_dnsperf : install Debian's dnsperf when missing; sets DNSPERF (empty when unavailable).
need_dnsperf() {
	local sudo=
	DNSPERF=$(command -v dnsperf || true)
	[ -z "$DNSPERF" ] || return 0
	echo "bench: installing dnsperf"
	[ "$(id -u)" = 0 ] || sudo=sudo
	{ $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dnsperf; } >/dev/null 2>&1 || true
	DNSPERF=$(command -v dnsperf || true)
	[ -n "$DNSPERF" ] || echo "bench: dnsperf not available: its figures are n/a" >&2
}

# field NAME TEXT : the number after NAME= in TEXT (the output of build/tools/load).
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "n/a") printf "%.2f", a / b; else printf "n/a" }'; }
# verdict RATIO TARGET (lower is better), atleast RATIO TARGET, below RATIO TARGET (strictly)
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "?"; else if (r + 0 <= t + 0) print "ok"; else print "OVER" }'; }
atleast() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "?"; else if (r + 0 >= t + 0) print "ok"; else print "UNDER" }'; }
below() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "?"; else if (r + 0 < t + 0) print "ok"; else print "OVER" }'; }

# json_add FILE KEY OBJECT : add "KEY": OBJECT to the JSON object in FILE (written by run.sh,
# one member per line, closed by a last line "}"); a missing FILE starts a new object. A
# figure that is not a number ("n/a") must be passed quoted by the caller.
json_add() {
	local file=$1 key=$2 obj=$3
	if [ -s "$file" ] && [ "$(tail -n 1 "$file")" = "}" ]; then
		sed -i -e '$d' "$file"
		sed -i -e '$s/$/,/' "$file"
		printf '  "%s": %s\n}\n' "$key" "$obj" >>"$file"
	else
		printf '{\n  "%s": %s\n}\n' "$key" "$obj" >"$file"
	fi
}

# jnum VALUE : VALUE as a JSON number, or the string "n/a".
jnum() { if [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then printf '%s' "$1"; else printf '"%s"' "$1"; fi; }
