#!/usr/bin/env bash
# scripts/demo.sh -- serve the zones/ catalog with mxlabd and check every scenario of
# zones/catalog.tsv with mxcheck: a table of expected and actual verdicts and problem codes,
# and the verdict of each MTA profile (--mta postfix, --mta exim) against its catalog column.
#
#   scripts/demo.sh BIN_DIR        (make demo runs: scripts/demo.sh bin)
#
# Exit status: 0 when every scenario gave the expected verdict and codes and an exit status
# that agrees with the verdict (69 permfail, 75 tempfail, 1 deliver/pass with a warning or
# error, 0 otherwise), 1 otherwise,
# 2 when the server could not be started. Needs only bash and coreutils/grep/sed/awk.
set -u

usage() { echo "usage: $0 BIN_DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
BIN=$(cd "$1" 2>/dev/null && pwd) || { echo "demo: no such directory: $1" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ZONES="$ROOT/zones"
CATALOG="$ZONES/catalog.tsv"
for f in "$BIN/mxlabd" "$BIN/mxcheck"; do
	[ -x "$f" ] || { echo "demo: $f is missing (run make first)" >&2; exit 2; }
done
[ -r "$CATALOG" ] || { echo "demo: $CATALOG is missing" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-demo.XXXXXX") || exit 2
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Bound every mxcheck run, in case something hangs (each check is bounded by itself too).
BOUND=()
command -v timeout >/dev/null 2>&1 && BOUND=(timeout 30)

"$BIN/mxlabd" -p 0 --port-file "$TMP/port" -z "$ZONES" >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
PORT=
for _ in $(seq 1 100); do # at most 10 s
	if [ -s "$TMP/port" ]; then
		PORT=$(tr -dc '0-9' <"$TMP/port")
		[ -n "$PORT" ] && break
	fi
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		break
	fi
	sleep 0.1
done
if [ -z "$PORT" ]; then
	echo "demo: mxlabd did not become ready:" >&2
	cat "$TMP/server.err" >&2
	exit 2
fi
echo "mxlabd serving $ZONES on 127.0.0.1 port $PORT"
echo

# verdict and sorted, unique problem codes (every severity) of one JSON line
json_verdict() { sed -n 's/.*"verdict"[[:space:]]*:[[:space:]]*"\([a-z]*\)".*/\1/p' | head -n 1; }
json_codes() {
	grep -o '"code"[[:space:]]*:[[:space:]]*"[a-z0-9-]*"' | sed 's/.*"\([a-z0-9-]*\)"$/\1/' |
		LC_ALL=C sort -u | paste -s -d, -
}

# the exit status mxcheck must give for a verdict (and the JSON line, for its severities):
# 69 permfail, 75 tempfail, 1 deliver/pass with a warning or error, 0 otherwise
want_status() {
	case "$1" in
	permfail) echo 69 ;;
	tempfail) echo 75 ;;
	*) if printf '%s\n' "$2" | grep -q '"severity"[[:space:]]*:[[:space:]]*"\(warning\|error\)"'; then
		echo 1
	else
		echo 0
	fi ;;
	esac
}

printf '%-26s %-9s %-9s %s\n' SCENARIO EXPECTED GOT RESULT
printf '%-26s %-9s %-9s %s\n' -------- -------- --- ------
total=0 good=0
while IFS=$'\t' read -r target flags verdict codes pfwant exwant title || [ -n "$target" ]; do
	case "$target" in '' | '#'*) continue ;; esac
	# lab world scenarios need a resolver in front of mxlabd --world (mxlab-lab, make test)
	case "$flags" in world | 'world '*) continue ;; esac
	total=$((total + 1))
	args=()
	[ "$flags" = "-" ] || read -r -a args <<<"$flags"
	out=$("${BOUND[@]}" "$BIN/mxcheck" -s "127.0.0.1@$PORT" --seed 1 --json "${args[@]}" "$target" 2>"$TMP/check.err")
	rc=$?
	got=$(printf '%s\n' "$out" | json_verdict)
	gotcodes=$(printf '%s\n' "$out" | json_codes)
	[ -n "$gotcodes" ] || gotcodes=-
	[ -n "$got" ] || got="exit=$rc"
	wantrc=$(want_status "$got" "$out")
	# the MTA profiles: only their verdict is recorded
	profiles="" profiles_ok=1
	for m in postfix exim; do
		want=$pfwant
		[ "$m" = exim ] && want=$exwant
		pout=$("${BOUND[@]}" "$BIN/mxcheck" --mta "$m" -s "127.0.0.1@$PORT" --seed 1 --json "${args[@]}" "$target" 2>/dev/null)
		pgot=$(printf '%s\n' "$pout" | json_verdict)
		if [ "$pgot" = "$want" ]; then
			profiles="$profiles  $m $pgot"
		else
			profiles="$profiles  $m ${pgot:-none} (expected $want)"
			profiles_ok=0
		fi
	done
	if [ "$got" = "$verdict" ] && [ "$gotcodes" = "$codes" ] && [ "$rc" = "$wantrc" ] &&
		[ "$profiles_ok" = 1 ]; then
		good=$((good + 1))
		printf '%-26s %-9s %-9s %s\n' "$target" "$verdict" "$got" "ok $profiles"
	else
		printf '%-26s %-9s %-9s %s\n' "$target" "$verdict" "$got" "FAIL  $title"
		[ "$profiles_ok" = 1 ] || printf '%26s profiles:%s\n' "" "$profiles"
		printf '%26s expected codes: %s\n' "" "$codes"
		printf '%26s got codes:      %s\n' "" "$gotcodes"
		[ "$rc" = "$wantrc" ] ||
			printf '%26s exit status %s does not agree with %s (expected %s)\n' "" "$rc" "$got" "$wantrc"
		if [ -s "$TMP/check.err" ]; then
			sed 's/^/                           mxcheck: /' "$TMP/check.err" | head -n 3
		fi
	fi
done <"$CATALOG"

echo
echo "$total scenarios, $good as expected"
[ "$total" -gt 0 ] && [ "$good" -eq "$total" ]
