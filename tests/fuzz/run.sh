#!/bin/sh
# tests/fuzz/run.sh -- build the libFuzzer harnesses and run each for a bounded time.
# Usage: tests/fuzz/run.sh [SECONDS [TARGET...]]   (from anywhere; default 60 s, all targets)
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-query fault zone reply}
out=build/fuzz
mkdir -p "$out"
CC=${CC:-clang}
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. -D_GNU_SOURCE"
LIBS=$(pkg-config --cflags --libs libevent ldns libzscanner jansson libidn2)
SERVER="server/msg.c server/answer.c server/zone.c server/lint.c server/fault.c server/faultidx.c"
COMMON="common/diag.c common/file.c common/log.c common/num.c"
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
	# shellcheck disable=SC2086
	"$out/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/crash_${t}_" $dict "$out/corpus_$t" $seeds
done
