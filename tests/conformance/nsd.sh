# tests/conformance/nsd.sh -- NSD for the scripts that compare mxlabd with it, sourced by
# tests/conformance/run.sh and bench/run.sh: find it (installing it when missing) and write its
# configuration for zones on 127.0.0.1.

# nsd_find: print the path of the nsd program, or fail.
nsd_find() {
	command -v nsd 2>/dev/null && return 0
	local p
	for p in /usr/sbin/nsd /usr/local/sbin/nsd; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}

# nsd_need WHO: set NSD to the nsd program, installing the package when it is missing (sudo
# only when not root). WHO starts the messages; exits 2 when nsd is still missing.
# shellcheck disable=SC2034 # NSD is for the script that sources this
nsd_need() {
	NSD=$(nsd_find) && return 0
	echo "$1: installing nsd"
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq nsd >/dev/null
	NSD=$(nsd_find) || { echo "$1: nsd still not found after apt-get" >&2; exit 2; }
}

# nsd_write_conf DIR PORT ZONESDIR VERBOSITY ZONEFILE... : DIR/nsd.conf for NSD on
# 127.0.0.1:PORT serving each ZONEFILE as the zone its name says (name.zone), its state and log
# in DIR. VERBOSITY "" leaves NSD's default.
nsd_write_conf() {
	local dir=$1 port=$2 zonesdir=$3 verbosity=$4 f extra=
	shift 4
	[ -z "$verbosity" ] || extra=$(printf '\tverbosity: %s\n_' "$verbosity") extra=${extra%_}
	mkdir -p "$dir"
	{
		cat <<CONF
server:
	ip-address: 127.0.0.1
	port: $port
	username: ""
	chroot: ""
	zonesdir: "$zonesdir"
	database: ""
	zonelistfile: "$dir/zone.list"
	xfrdfile: "$dir/xfrd.state"
	xfrdir: "$dir"
	pidfile: "$dir/nsd.pid"
	logfile: "$dir/nsd.log"
	server-count: 1
${extra}	zonefiles-check: no
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
CONF
		for f in "$@"; do
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$(basename "$f" .zone)" "$f"
		done
	} >"$dir/nsd.conf"
	# NSD built without rate limiting does not know the rrl options: drop them then.
	if command -v nsd-checkconf >/dev/null 2>&1 && ! nsd-checkconf "$dir/nsd.conf" >/dev/null 2>&1; then
		sed -i '/rrl-/d' "$dir/nsd.conf"
	fi
}
