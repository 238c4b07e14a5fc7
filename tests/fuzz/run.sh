#!/bin/sh
# tests/fuzz/run.sh -- build the libFuzzer harnesses and run each for a bounded time, starting
# from the corpus kept in the repository (tests/fuzz/seeds/TARGET). Every target runs even when
# one crashes; the exit status is 1 when any crashed (or timed out, or ran out of memory), with
# the reproducer named.
# Usage: tests/fuzz/run.sh [SECONDS [TARGET...]]   (from anywhere; default 60 s, all targets)
# FUZZ_MERGE=1 also merges what the run found into tests/fuzz/seeds/TARGET (to commit).
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-query fault zone reply faultjson}
out=build/fuzz
mkdir -p "$out"
CC=${CC:-clang}
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. -D_GNU_SOURCE"
LIBS=$(pkg-config --cflags --libs libevent ldns libzscanner libdnssec jansson libidn2)
SERVER="server/msg.c server/answer.c server/zone.c server/zoneerr.c server/lint.c server/fault.c
	server/faultidx.c server/faultjson.c server/world.c server/world_lint.c server/dnssec.c server/zload.c server/zowner.c"
COMMON="common/diag.c common/file.c common/log.c common/num.c"
failed=
for t in $targets; do
	case $t in
	reply) srcs="tests/fuzz/fuzz_reply.c $COMMON" ;;
	*) srcs="tests/fuzz/fuzz_$t.c $SERVER $COMMON" ;;
	esac
	# shellcheck disable=SC2086
	$CC $CFLAGS -o "$out/fuzz_$t" $srcs $LIBS -lm
	mkdir -p "$out/corpus_$t"
	seeds=tests/fuzz/seeds/$t
	[ -d "$seeds" ] || seeds=
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict=-dict=tests/fuzz/$t.dict
	echo "fuzz: $t for ${secs}s"
	# shellcheck disable=SC2086
	if ! "$out/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/crash_${t}_" $dict "$out/corpus_$t" \
		$seeds >"$out/fuzz_$t.log" 2>&1; then
		tail -n 40 "$out/fuzz_$t.log"
		echo "fuzz: $t FAILED; reproducer: $(ls -t "$out"/crash_"${t}"_* 2>/dev/null | head -n 1)"
		failed="$failed $t"
		continue
	fi
	grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$out/fuzz_$t.log" |
		sed "s/^/  $t /" || true
	if [ "${FUZZ_MERGE:-0}" = 1 ] && [ -n "$seeds" ]; then
		"$out/fuzz_$t" -merge=1 $dict "$seeds" "$out/corpus_$t" >/dev/null 2>&1
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: crashes in:$failed (artifacts in $out/)"
	exit 1
fi
echo "fuzz: no crash in: $targets"
