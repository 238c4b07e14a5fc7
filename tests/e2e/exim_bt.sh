#!/usr/bin/env bash
# tests/e2e/exim_bt.sh -- routes every scenario of a list with the real Exim (exim4 -bt, Debian's
# "internet" configuration, through the libc resolver) and with mxcheck --mta exim, inside a
# private network namespace where mxlabd answers on 127.0.0.1:53. Used by e2e_mta_exim.
#
#   exim_bt.sh BIN_DIR ZONES_DIR SCENARIOS
#
# SCENARIOS holds one "TARGET<TAB>MXCHECK-FLAGS" a line ("-" for no flags). Output, one line
# each per scenario:
#   EXIM<TAB>target<TAB>verdict<TAB>hosts      hosts: "pref name addr;..." in Exim's order
#   MXCHECK<TAB>target<TAB>exit<TAB>json       mxcheck --mta exim --json output (one line)
# Exit 0 when it ran, 77 with "SKIP: reason" on stdout when exim4 or namespaces are missing,
# 2 on any other setup failure.
set -u
export PATH="$PATH:/usr/sbin:/sbin"

if [ "${1:-}" != --inside ]; then
	[ $# -eq 3 ] || { echo "usage: $0 BIN_DIR ZONES_DIR SCENARIOS" >&2; exit 2; }
	for t in exim4 update-exim4.conf unshare ip mount setpriv; do
		command -v "$t" >/dev/null 2>&1 ||
			{ echo "SKIP: $t is not installed (make deps installs exim4-daemon-light)"; exit 77; }
	done
	[ -d /etc/exim4/conf.d ] || { echo "SKIP: /etc/exim4/conf.d is missing (exim4-config)"; exit 77; }
	if ! unshare --net --mount true 2>/dev/null; then
		echo "SKIP: cannot create a network namespace (unshare --net --mount needs root/CAP_SYS_ADMIN)"
		exit 77
	fi
	exec unshare --net --mount -- "$0" --inside "$@"
fi
shift
BIN=$1 ZONES=$2 LIST=$3

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-exim.XXXXXX") || exit 2
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ip link set lo up || exit 2
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$TMP/resolv.conf"
mount --bind "$TMP/resolv.conf" /etc/resolv.conf || exit 2

# Debian's configuration, configtype "internet" (the dnslookup router with its
# ignore_target_hosts), generated from the installed exim4-config into our own directory.
cp -a /etc/exim4 "$TMP/conf" || exit 2
sed -i "s/^dc_eximconfig_configtype=.*/dc_eximconfig_configtype='internet'/" \
	"$TMP/conf/update-exim4.conf.conf"
update-exim4.conf -d "$TMP/conf" -o "$TMP/exim4.conf" >/dev/null 2>&1 ||
	{ echo "exim_bt: update-exim4.conf failed" >&2; exit 2; }
mkdir -p "$TMP/spool" "$TMP/log"
# keep Exim's spool and log out of the system's
sed -i -e '/^spool_directory *=/d' -e '/^log_file_path *=/d' \
	-e "1i spool_directory = $TMP/spool\nlog_file_path = $TMP/log/%slog" "$TMP/exim4.conf"

setpriv --pdeathsig KILL "$BIN/mxlabd" -z "$ZONES" -p 53 -a 127.0.0.1 --port-file "$TMP/port" \
	>"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
	[ -s "$TMP/port" ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.1
done
[ -s "$TMP/port" ] || { echo "exim_bt: mxlabd did not start:" >&2; cat "$TMP/server.err" >&2; exit 2; }

while IFS=$'\t' read -r target flags || [ -n "$target" ]; do
	[ -n "$target" ] || continue
	out=$(timeout 60 exim4 -C "$TMP/exim4.conf" -bt "user@$target" 2>&1)
	rc=$?
	case $rc in
	0) verdict=deliver ;;
	1) verdict=tempfail ;;
	2) verdict=permfail ;;
	*) verdict="exit=$rc" ;;
	esac
	hosts=$(printf '%s\n' "$out" | grep -v 'unusable' |
		sed -n 's/^  host \([^ ]*\) *\[\([^]]*\)\] *\(MX=\([0-9]*\)\)\{0,1\}.*/\4 \1 \2/p' |
		sed 's/^ /- /' | paste -s -d ';' -)
	printf 'EXIM\t%s\t%s\t%s\n' "$target" "$verdict" "$hosts"
	args=()
	[ "$flags" = "-" ] || read -r -a args <<<"$flags"
	json=$(timeout 60 "$BIN/mxcheck" --mta exim -s 127.0.0.1 --seed 1 --no-ptr --json "${args[@]}" \
		"$target" 2>/dev/null)
	rc=$?
	printf 'MXCHECK\t%s\t%s\t%s\n' "$target" "$rc" "$(printf '%s' "$json" | tr -d '\n')"
done <"$LIST"
exit 0
