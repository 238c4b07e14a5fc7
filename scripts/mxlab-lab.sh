#!/usr/bin/env bash
# scripts/mxlab-lab.sh -- mxlab-lab: a shell (or one command) in a private network namespace
# where the world of mxlabd --world is the internet: the documentation prefixes and
# 127.53.0.0/16 routed to lo, mxlabd serving every authoritative server of the zones on port
# 53, a recursive resolver (unbound by default) on 127.0.0.1:53 from the configuration mxlabd
# writes, and /etc/resolv.conf naming it. Everything it starts dies with it.
#
#   mxlab-lab [-z DIR]... [-f FAULTS]... [-r unbound|bind|knot-resolver] [-q] [-- CMD [ARG]...]
#
# make copies this file to bin/mxlab-lab (and make install to BINDIR/mxlab-lab). Exit status:
# that of CMD (or of the shell); 70 when the lab could not be set up. See mxlab-lab(1).
set -u

PROG=mxlab-lab
SELF=$(readlink -f "${BASH_SOURCE[0]}")
HERE=$(dirname "$SELF")
DATADIR_DEFAULT="@DATADIR@"

usage() {
	cat <<EOF
usage: $PROG [-z DIR]... [-f FAULTS]... [-r RESOLVER] [-q] [-- CMD [ARG]...]
  -z DIR       serve DIR/*.zone and DIR/faults.conf (repeatable; default: the bundled
               catalog and its lab world, zones/ and zones/world/); a DIR/closed.conf lists
               servers (NS names or addresses) started closed
  -f FAULTS    more fault rules (repeatable)
  -r RESOLVER  unbound (default), bind or knot-resolver
  -q           no banner
  -- CMD ...   run CMD in the lab instead of an interactive shell; exit with its status
EOF
}

die() {
	echo "$PROG: $*" >&2
	exit 70
}

ZDIRS=()
FAULTS=()
RESOLVER=unbound
QUIET=0
while [ $# -gt 0 ]; do
	case "$1" in
	-z) [ $# -ge 2 ] || { usage >&2; exit 64; }; ZDIRS+=("$(readlink -f "$2")"); shift 2 ;;
	-f) [ $# -ge 2 ] || { usage >&2; exit 64; }; FAULTS+=("$(readlink -f "$2")"); shift 2 ;;
	-r) [ $# -ge 2 ] || { usage >&2; exit 64; }; RESOLVER=$2; shift 2 ;;
	-q) QUIET=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) usage >&2; exit 64 ;;
	esac
done
case "$RESOLVER" in
unbound | bind | knot-resolver) ;;
*) echo "$PROG: -r $RESOLVER: expected unbound, bind or knot-resolver" >&2; exit 64 ;;
esac

# mxlabd: beside this program (the build tree's bin/), in ../sbin (installed), or on PATH
MXLABD=
for c in "$HERE/mxlabd" "$HERE/../sbin/mxlabd"; do
	[ -x "$c" ] && { MXLABD=$(readlink -f "$c"); break; }
done
[ -n "$MXLABD" ] || MXLABD=$(command -v mxlabd) || die "mxlabd not found (beside $SELF or on PATH)"

if [ ${#ZDIRS[@]} -eq 0 ]; then
	for d in "$HERE/../zones" "$DATADIR_DEFAULT/zones"; do
		if [ -r "$d/catalog.tsv" ]; then
			d=$(readlink -f "$d")
			ZDIRS=("$d")
			[ -d "$d/world" ] && ZDIRS+=("$d/world")
			break
		fi
	done
	[ ${#ZDIRS[@]} -gt 0 ] || die "no zones given and no bundled catalog found (use -z DIR)"
fi

# ---- outside: enter a private network, mount and PID namespace -------------------------------
# The PID namespace makes everything started inside die when the lab ends (its first process,
# this script, is the namespace's init; --kill-child ends that one when unshare ends).
if [ -z "${MXLAB_LAB_INSIDE:-}" ]; then
	command -v unshare >/dev/null 2>&1 || die "unshare (util-linux) is needed"
	command -v ip >/dev/null 2>&1 || die "ip (iproute2) is needed"
	if [ "$(id -u)" = 0 ]; then
		NS=(unshare --net --mount --pid --fork --mount-proc --kill-child)
	else
		NS=(unshare --user --map-root-user --net --mount --pid --fork --mount-proc --kill-child)
	fi
	# a failing unshare must not pass for CMD's exit status
	"${NS[@]}" true 2>"${TMPDIR:-/tmp}/mxlab-lab.$$.err" || {
		err=$(cat "${TMPDIR:-/tmp}/mxlab-lab.$$.err")
		rm -f "${TMPDIR:-/tmp}/mxlab-lab.$$.err"
		die "cannot make private namespaces (${NS[*]}): $err"
	}
	rm -f "${TMPDIR:-/tmp}/mxlab-lab.$$.err"
	export MXLAB_LAB_INSIDE=1 MXLAB_LAB_MXLABD="$MXLABD"
	args=()
	for d in "${ZDIRS[@]}"; do args+=(-z "$d"); done
	for f in "${FAULTS[@]}"; do args+=(-f "$f"); done
	[ "$QUIET" = 1 ] && args+=(-q)
	exec "${NS[@]}" bash "$SELF" "${args[@]}" -r "$RESOLVER" -- "$@"
fi

# ---- inside ---------------------------------------------------------------------------------
MXLABD=${MXLAB_LAB_MXLABD:-$MXLABD}
unset MXLAB_LAB_INSIDE MXLAB_LAB_MXLABD
LAB=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-lab.XXXXXX") || die "cannot make a temporary directory"
chmod 755 "$LAB"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	# a sanitizer report of mxlabd (make asan) must not vanish with the lab's directory
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LAB/mxlabd.log" 2>/dev/null; then
		cat "$LAB/mxlabd.log" >&2
	fi
	rm -rf "$LAB"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# the network: lo up, the documentation prefixes and the root's 127.53.0.0/16 on lo
ip link set lo up || die "cannot bring lo up in the lab's network namespace"
for p in 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 127.53.0.0/16; do
	ip route add local "$p" dev lo table local 2>/dev/null || ip route replace local "$p" dev lo ||
		die "cannot route $p to lo"
done
ip -6 route add local 2001:db8::/32 dev lo 2>/dev/null ||
	echo "$PROG: warning: no IPv6 in the lab (cannot route 2001:db8::/32 to lo)" >&2
# binding an address of a local route needs this for IPv6 (IPv4 local routes bind as they are)
sysctl -qw net.ipv6.ip_nonlocal_bind=1 2>/dev/null || true

# the world
MX=("$MXLABD" --world --allow-nonlocal -p 53 --root-hints "$LAB/root.hints")
case "$RESOLVER" in
unbound) CONF="$LAB/unbound.conf" ;;
bind) CONF="$LAB/named.conf" ;;
knot-resolver) CONF="$LAB/kresd.conf" ;;
esac
MX+=(--resolver-config "$RESOLVER=$CONF")
for d in "${ZDIRS[@]}"; do
	MX+=(-z "$d")
	if [ -r "$d/closed.conf" ]; then
		while read -r c _; do
			case "$c" in '' | '#'*) continue ;; esac
			MX+=(--closed "$c")
		done <"$d/closed.conf"
	fi
done
for f in "${FAULTS[@]}"; do MX+=(-f "$f"); done
"${MX[@]}" >"$LAB/mxlabd.out" 2>"$LAB/mxlabd.log" &
PIDS+=($!)
for _ in $(seq 1 200); do # at most 20 s
	grep -q '^mxlabd: ready' "$LAB/mxlabd.out" 2>/dev/null && [ -s "$CONF" ] && break
	kill -0 "${PIDS[0]}" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q '^mxlabd: ready' "$LAB/mxlabd.out" 2>/dev/null || [ ! -s "$CONF" ]; then
	echo "$PROG: mxlabd --world did not start:" >&2
	cat "$LAB/mxlabd.log" >&2
	exit 70
fi

# the resolver
case "$RESOLVER" in
unbound)
	command -v unbound >/dev/null 2>&1 || die "unbound is not installed (apt-get install unbound)"
	unbound -d -c "$CONF" >"$LAB/resolver.log" 2>&1 &
	;;
bind)
	command -v named >/dev/null 2>&1 || die "named is not installed (apt-get install bind9)"
	named -g -c "$CONF" >"$LAB/resolver.log" 2>&1 &
	;;
knot-resolver)
	command -v kresd >/dev/null 2>&1 || die "kresd is not installed (apt-get install knot-resolver)"
	mkdir -p "$LAB/kresd"
	kresd -n -c "$CONF" "$LAB/kresd" >"$LAB/resolver.log" 2>&1 </dev/null &
	;;
esac
PIDS+=($!)
# ready once it answers on 127.0.0.1:53 (a query for the root's SOA through bash's /dev/udp
# would need a DNS encoder; a TCP connect is enough to know it listens)
ready=0
for _ in $(seq 1 200); do # at most 20 s
	if (exec 3<>/dev/tcp/127.0.0.1/53) 2>/dev/null; then
		ready=1
		break
	fi
	kill -0 "${PIDS[1]}" 2>/dev/null || break
	sleep 0.1
done
if [ "$ready" != 1 ]; then
	echo "$PROG: $RESOLVER did not start:" >&2
	cat "$LAB/resolver.log" >&2
	exit 70
fi

# the lab's resolv.conf over the system's (only in this mount namespace)
printf '# mxlab-lab: the lab resolver (%s on 127.0.0.1)\nnameserver 127.0.0.1\noptions timeout:5 attempts:2\n' \
	"$RESOLVER" >"$LAB/resolv.conf"
mount --bind "$LAB/resolv.conf" /etc/resolv.conf || die "cannot bind-mount the lab's resolv.conf over /etc/resolv.conf"

export MXLAB_LAB="$LAB"
# mxcheck (and mxlab-lab's other programs) by their names, as installed beside this one
export PATH="$HERE:$PATH"
if [ $# -gt 0 ]; then
	"$@"
	exit $?
fi

if [ "$QUIET" != 1 ]; then
	cat <<EOF
mxlab lab: a private network where the mxlab world is the internet.
  zones:     ${ZDIRS[*]}
  servers:   mxlabd --world on port 53 (root at 127.53.0.1; log: \$MXLAB_LAB/mxlabd.log)
  resolver:  $RESOLVER on 127.0.0.1 (/etc/resolv.conf; log: \$MXLAB_LAB/resolver.log)
Try:  host -t MX healthy.test    dig mx half-lame.deleg.test    mxcheck -t 10000 all-silent.deleg.test
Leave with exit (or Ctrl-D): everything started here stops.
EOF
fi
RC="$LAB/bashrc"
cat >"$RC" <<'EOF'
[ -r ~/.bashrc ] && . ~/.bashrc
PS1="[mxlab-lab] $PS1"
EOF
bash --rcfile "$RC" -i
exit $?
