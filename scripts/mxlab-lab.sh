#!/usr/bin/env bash
# scripts/mxlab-lab.sh -- mxlab-lab: a shell (or one command) in a private network namespace
# where the world of mxlabd --world is the internet: the documentation prefixes and
# 127.53.0.0/16 routed to lo, mxlabd serving every authoritative server of the zones on port
# 53, a recursive resolver (unbound by default) on 127.0.0.1:53 from the configuration mxlabd
# writes, and /etc/resolv.conf naming it. Everything it starts dies with it.
#
#   mxlab-lab [-z DIR]... [-f FAULTS]... [-r unbound|bind|knot-resolver] [-q]
#             [--dashboard PORT] [--exercise N [--seed S] [--out DIR]] [-- CMD [ARG]...]
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
usage: $PROG [-z DIR]... [-f FAULTS]... [-r RESOLVER] [-q] [--dashboard PORT]
                 [--exercise N [--seed S] [--out DIR]] [-- CMD [ARG]...]
  -z DIR       serve DIR/*.zone and DIR/faults.conf (repeatable; default: the bundled
               catalog and its lab world, zones/ and zones/world/); a DIR/closed.conf lists
               servers (NS names or addresses) started closed
  -f FAULTS    more fault rules (repeatable)
  -r RESOLVER  unbound (default), bind or knot-resolver
  -q           no banner
  --dashboard PORT  serve the dashboard of the lab's mxlabd on http://127.0.0.1:PORT/ of
               this machine (outside the lab; needs socat)
  --exercise N serve N catalog scenarios under neutral names (ex1.lab.test, ...) instead of
               the catalog, with a sheet for the student (mxlab-exercise new N)
  --seed S     the exercise's seed (the same seed gives the same exercise)
  --out DIR    where the exercise is written (default ./mxlab-exercise); it stays after the
               lab ends, for mxlab-exercise score DIR DIR/answers.txt
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
DASH_PORT=
EX_N=
EX_SEED=
EX_OUT=
while [ $# -gt 0 ]; do
	case "$1" in
	-z) [ $# -ge 2 ] || { usage >&2; exit 64; }; ZDIRS+=("$(readlink -f "$2")"); shift 2 ;;
	-f) [ $# -ge 2 ] || { usage >&2; exit 64; }; FAULTS+=("$(readlink -f "$2")"); shift 2 ;;
	-r) [ $# -ge 2 ] || { usage >&2; exit 64; }; RESOLVER=$2; shift 2 ;;
	-q) QUIET=1; shift ;;
	--dashboard) [ $# -ge 2 ] || { usage >&2; exit 64; }; DASH_PORT=$2; shift 2 ;;
	--exercise) [ $# -ge 2 ] || { usage >&2; exit 64; }; EX_N=$2; shift 2 ;;
	--seed) [ $# -ge 2 ] || { usage >&2; exit 64; }; EX_SEED=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || { usage >&2; exit 64; }; EX_OUT=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) usage >&2; exit 64 ;;
	esac
done
case "$RESOLVER" in
unbound | bind | knot-resolver) ;;
*) echo "$PROG: -r $RESOLVER: expected unbound, bind or knot-resolver" >&2; exit 64 ;;
esac
case "$DASH_PORT" in
'') ;;
*[!0-9]* | 0) echo "$PROG: --dashboard $DASH_PORT: expected a port number" >&2; exit 64 ;;
*) [ "$DASH_PORT" -le 65535 ] || { echo "$PROG: --dashboard $DASH_PORT: expected a port number" >&2; exit 64; } ;;
esac
if [ -z "$EX_N" ] && { [ -n "$EX_SEED" ] || [ -n "$EX_OUT" ]; }; then
	echo "$PROG: --seed and --out go with --exercise N" >&2
	exit 64
fi

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
	if [ -n "$EX_N" ]; then
		# an exercise instead of the catalog: written where it outlives the lab
		EXERCISE=
		for c in "$HERE/mxlab-exercise" "$(command -v mxlab-exercise 2>/dev/null)"; do
			[ -n "$c" ] && [ -x "$c" ] && { EXERCISE=$c; break; }
		done
		[ -n "$EXERCISE" ] || die "mxlab-exercise not found (beside $SELF or on PATH)"
		EX_OUT=$(readlink -m "${EX_OUT:-./mxlab-exercise}")
		exargs=(new "$EX_N" --out "$EX_OUT")
		[ -n "$EX_SEED" ] && exargs+=(--seed "$EX_SEED")
		"$EXERCISE" "${exargs[@]}" >&2 || exit 70
		ZDIRS=("$EX_OUT/zones")
		export MXLAB_LAB_EXERCISE="$EX_OUT"
	fi
	args=()
	for d in "${ZDIRS[@]}"; do args+=(-z "$d"); done
	for f in "${FAULTS[@]}"; do args+=(-f "$f"); done
	[ "$QUIET" = 1 ] && args+=(-q)
	if [ -z "$DASH_PORT" ]; then
		exec "${NS[@]}" bash "$SELF" "${args[@]}" -r "$RESOLVER" -- "$@"
	fi
	# The dashboard: a browser here reaches 127.0.0.1:PORT of this machine, mxlabd listens on
	# 127.0.0.1:PORT inside the lab. A UNIX socket crosses between the two network namespaces:
	# socat here (TCP -> socket) and socat inside (socket -> mxlabd), so the browser's Host and
	# Origin stay 127.0.0.1:PORT, which the control API accepts.
	command -v socat >/dev/null 2>&1 || die "--dashboard needs socat (apt-get install socat)"
	RV=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-lab-dash.XXXXXX") || die "cannot make a temporary directory"
	chmod 700 "$RV"
	socat "TCP-LISTEN:$DASH_PORT,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$RV/dash.sock" \
		2>"$RV/socat.log" &
	FWD=$!
	sleep 0.2
	if ! kill -0 "$FWD" 2>/dev/null; then
		err=$(cat "$RV/socat.log")
		rm -rf "$RV"
		die "--dashboard $DASH_PORT: cannot listen on 127.0.0.1:$DASH_PORT: $err"
	fi
	export MXLAB_LAB_DASH="$RV/dash.sock" MXLAB_LAB_DASH_PORT="$DASH_PORT"
	"${NS[@]}" bash "$SELF" "${args[@]}" -r "$RESOLVER" -- "$@"
	rc=$?
	kill "$FWD" 2>/dev/null
	wait "$FWD" 2>/dev/null
	rm -rf "$RV"
	exit $rc
fi

# ---- inside ---------------------------------------------------------------------------------
MXLABD=${MXLAB_LAB_MXLABD:-$MXLABD}
DASH_SOCK=${MXLAB_LAB_DASH:-}
DASH_PORT=${MXLAB_LAB_DASH_PORT:-}
EXERCISE_DIR=${MXLAB_LAB_EXERCISE:-}
unset MXLAB_LAB_INSIDE MXLAB_LAB_MXLABD MXLAB_LAB_DASH MXLAB_LAB_DASH_PORT MXLAB_LAB_EXERCISE
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
MX=("$MXLABD" --world --allow-nonlocal -p 53 --root-hints "$LAB/root.hints"
	--query-log "$LAB/queries.log" --query-log-format text)
[ -n "$DASH_PORT" ] && MX+=(--control "127.0.0.1:$DASH_PORT")
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

# the dashboard's way out (see the outside part)
if [ -n "$DASH_SOCK" ]; then
	socat "UNIX-LISTEN:$DASH_SOCK,fork,unlink-early" "TCP:127.0.0.1:$DASH_PORT" \
		2>"$LAB/dash.log" &
	PIDS+=($!)
fi

# the lab's resolv.conf over the system's (only in this mount namespace)
printf '# mxlab-lab: the lab resolver (%s on 127.0.0.1)\nnameserver 127.0.0.1\noptions timeout:5 attempts:2\n' \
	"$RESOLVER" >"$LAB/resolv.conf"
mount --bind "$LAB/resolv.conf" /etc/resolv.conf || die "cannot bind-mount the lab's resolv.conf over /etc/resolv.conf"
# the world's root hints over the system's (dns-root-data), so `mxcheck --trace DOMAIN` and any
# tool reading the default hints start at the lab's root
if [ -f /usr/share/dns/root.hints ]; then
	mount --bind "$LAB/root.hints" /usr/share/dns/root.hints ||
		echo "mxlab-lab: warning: cannot bind-mount the lab's root hints over /usr/share/dns/root.hints" >&2
fi

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
  queries:   tail -f \$MXLAB_LAB/queries.log   (one readable line per query)
Try:  host -t MX healthy.test    dig mx half-lame.deleg.test    mxcheck -t 10000 all-silent.deleg.test
      mxcheck --trace half-lame.deleg.test   (from the lab's root: names the lame server)
Leave with exit (or Ctrl-D): everything started here stops.
EOF
	[ -n "$DASH_PORT" ] && echo "  dashboard: http://127.0.0.1:$DASH_PORT/   (open it in a browser on this machine)"
	if [ -n "$EXERCISE_DIR" ]; then
		cat <<EOF
  exercise:  read $EXERCISE_DIR/sheet.txt, write $EXERCISE_DIR/answers.txt, then (here or
             after the lab) mxlab-exercise score $EXERCISE_DIR $EXERCISE_DIR/answers.txt
EOF
	fi
fi
RC="$LAB/bashrc"
cat >"$RC" <<'EOF'
[ -r ~/.bashrc ] && . ~/.bashrc
PS1="[mxlab-lab] $PS1"
EOF
bash --rcfile "$RC" -i
exit $?
