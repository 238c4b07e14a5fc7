#!/usr/bin/env bash
# tests/e2e/postfix_finger.sh -- routes every scenario of a list with the real Postfix
# (posttls-finger, which resolves the MX set and connects in order like Postfix's smtp client,
# without sending mail) and with mxcheck --mta postfix, inside a private network namespace
# where mxlabd answers on 127.0.0.1:53. Debian's postfix conflicts with exim4, so the package
# is fetched with apt-get download and unpacked with dpkg-deb -x (cached in
# ${MXLAB_POSTFIX_CACHE:-/tmp/mxlab-postfix}). Used by e2e_mta_postfix.
#
#   postfix_finger.sh BIN_DIR ZONES_DIR SCENARIOS
#
# SCENARIOS: "TARGET<TAB>MXCHECK-FLAGS" lines. Output per scenario:
#   POSTFIX<TAB>target<TAB>verdict<TAB>hosts    hosts: "name addr;..." in the order tried
#   MXCHECK<TAB>target<TAB>exit<TAB>json
# Exit 0 when it ran, 77 with "SKIP: reason" when Postfix or namespaces are not available.
set -u
export PATH="$PATH:/usr/sbin:/sbin"

if [ "${1:-}" != --inside ]; then
	[ $# -eq 3 ] || { echo "usage: $0 BIN_DIR ZONES_DIR SCENARIOS" >&2; exit 2; }
	for t in unshare ip mount setpriv dpkg-deb apt-get; do
		command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t is not installed"; exit 77; }
	done
	CACHE=${MXLAB_POSTFIX_CACHE:-/tmp/mxlab-postfix}
	if [ ! -x "$CACHE/root/usr/sbin/posttls-finger" ]; then
		rm -rf "$CACHE" && mkdir -p "$CACHE" || { echo "SKIP: cannot create $CACHE"; exit 77; }
		(cd "$CACHE" && apt-get download postfix >"$CACHE/download.log" 2>&1) ||
			{ echo "SKIP: apt-get download postfix failed: $(tail -n 1 "$CACHE/download.log")"; exit 77; }
		dpkg-deb -x "$CACHE"/postfix_*.deb "$CACHE/root" ||
			{ echo "SKIP: dpkg-deb -x of the postfix package failed"; exit 77; }
	fi
	if ! unshare --net --mount true 2>/dev/null; then
		echo "SKIP: cannot create a network namespace (unshare --net --mount needs root/CAP_SYS_ADMIN)"
		exit 77
	fi
	exec unshare --net --mount -- "$0" --inside "$@" "$CACHE"
fi
shift
BIN=$1 ZONES=$2 LIST=$3 CACHE=$4

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-postfix.XXXXXX") || exit 2
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ip link set lo up || exit 2
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$TMP/resolv.conf"
mount --bind "$TMP/resolv.conf" /etc/resolv.conf || exit 2
# Postfix's defaults (Debian's main.cf: inet_protocols = all), with users every Debian has.
mkdir -p "$TMP/etc"
printf 'mail_owner = nobody\ndefault_privs = daemon\nsetgid_group = mail\ninet_protocols = all\n' \
	>"$TMP/etc/main.cf"

setpriv --pdeathsig KILL "$BIN/mxlabd" -z "$ZONES" -p 53 -a 127.0.0.1 --port-file "$TMP/port" \
	>"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
	[ -s "$TMP/port" ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.1
done
[ -s "$TMP/port" ] || { echo "postfix_finger: mxlabd did not start:" >&2; cat "$TMP/server.err" >&2; exit 2; }

while IFS=$'\t' read -r target flags || [ -n "$target" ]; do
	[ -n "$target" ] || continue
	out=$(LD_LIBRARY_PATH="$CACHE/root/usr/lib/postfix" MAIL_CONFIG="$TMP/etc" timeout 60 \
		"$CACHE/root/usr/sbin/posttls-finger" -c -l none -L summary "$target" 2>&1)
	hosts=$(printf '%s\n' "$out" |
		sed -n 's/.*Failed to establish session to .*: connect to \([^[]*\)\[\([^]]*\)\]:25.*/\1 \2/p' |
		paste -s -d ';' -)
	if [ -n "$hosts" ]; then
		verdict=deliver
	elif printf '%s\n' "$out" | grep -q 'Destination address lookup failed:.*\(try again\|Malformed or unexpected\)'; then
		verdict=tempfail
	elif printf '%s\n' "$out" | grep -q 'Destination address lookup failed:'; then
		verdict=permfail
	else
		verdict=unknown
	fi
	printf 'POSTFIX\t%s\t%s\t%s\n' "$target" "$verdict" "$hosts"
	args=()
	[ "$flags" = "-" ] || read -r -a args <<<"$flags"
	json=$(timeout 60 "$BIN/mxcheck" --mta postfix -s 127.0.0.1 --seed 1 --no-ptr --json \
		"${args[@]}" "$target" 2>/dev/null)
	rc=$?
	printf 'MXCHECK\t%s\t%s\t%s\n' "$target" "$rc" "$(printf '%s' "$json" | tr -d '\n')"
done <"$LIST"
exit 0
