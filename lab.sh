#!/usr/bin/env bash
# The local edge lab of issue 9: N emulated edge hosts as network namespaces on one bridge, plus a client.
#
#   ./lab.sh up [N]   (default N=2)  create what is missing; safe to run again
#   ./lab.sh down                    kill every process in the lab's namespaces and delete them
#   ./lab.sh status
#
# Layout (prefix P=${LAB_PREFIX:-eplab}, network ${LAB_NET:-10.231.0}.0/24, rate ${LAB_RATE:-1gbit}):
#   P-sw      the switch: bridge br0 with one veth port per host (h1..hN, client); no address, no route out
#   P-hI      edge host I: eth0 = LAB_NET.(10+I)/24, tc tbf at LAB_RATE on both directions of its link
#   P-client  the client: eth0 = LAB_NET.2/24, same rate limit
# Nothing is created in the caller's own network namespace, so the lab cannot send traffic anywhere else.
# Processes are started in a host with `nsenter --net=/run/netns/P-hI` (not `ip netns exec`, whose private mount
# namespace CRIU cannot dump: "has unreachable sharing"); restores get a fresh PID namespace each (see
# src/EdgePortal.Agent/Criu). `tc netem` is not in this kernel: the links have a rate, not a delay.
set -Eeuo pipefail
trap 'rc=$?; echo "lab.sh: FAILED (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit $rc' ERR

prefix=${LAB_PREFIX:-eplab}
net=${LAB_NET:-10.231.0}
rate=${LAB_RATE:-1gbit}
[[ $prefix =~ ^[a-z][a-z0-9]{1,8}$ ]] || { echo "lab.sh: LAB_PREFIX must be 2-9 lower-case letters/digits" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "lab.sh must run as root (it creates network namespaces)." >&2; exit 1; }

say() { echo "lab: $*"; }
exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
ensure_ns() { exists "$1" || { say "netns $1"; ip netns add "$1"; }; ip -n "$1" link set lo up; }

# One end eth0 in namespace $1 with address $2, the other end $3 on the switch's bridge; both directions rate-limited.
link() {
  local ns=$1 address=$2 port=$3
  ensure_ns "$ns"
  if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
    ip -n "$prefix-sw" link del "$port" 2>/dev/null || true
    say "veth $ns:eth0 <-> $prefix-sw:$port"
    ip -n "$ns" link add eth0 type veth peer name "$port" netns "$prefix-sw"
  fi
  ip -n "$prefix-sw" link set "$port" master br0 up
  ip -n "$ns" addr replace "$address/24" dev eth0
  ip -n "$ns" link set eth0 up
  # tbf needs a bucket of at least rate/HZ; 1 MB covers 1 Gbit/s at HZ 100.
  tc -n "$ns" qdisc replace dev eth0 root tbf rate "$rate" burst 1mb latency 50ms
  tc -n "$prefix-sw" qdisc replace dev "$port" root tbf rate "$rate" burst 1mb latency 50ms
}

up() {
  local n=${1:-2}
  [[ $n =~ ^[1-9][0-9]?$ ]] || { echo "lab.sh up N: N is 1..99" >&2; exit 2; }
  ensure_ns "$prefix-sw"
  ip -n "$prefix-sw" link show br0 >/dev/null 2>&1 || { say "bridge $prefix-sw:br0"; ip -n "$prefix-sw" link add br0 type bridge; }
  ip -n "$prefix-sw" link set br0 up
  link "$prefix-client" "$net.2" client
  for ((i = 1; i <= n; i++)); do link "$prefix-h$i" "$net.$((10 + i))" "h$i"; done
  status
}

down() {
  local ns pids
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$prefix-(sw|client|h[0-9]+)$" || true); do
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [[ -z $pids ]] && break
      say "killing in $ns: $(echo $pids)"
      kill -9 $pids 2>/dev/null || true
      sleep 0.2
    done
    say "delete netns $ns"
    ip netns del "$ns"
  done
  say "down ($prefix)"
}

status() {
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$prefix-(client|h[0-9]+)$" | sort -V || true); do
    echo "$ns /run/netns/$ns $(ip -n "$ns" -4 -o addr show dev eth0 | awk '{print $4}' | tr '\n' ' ')$(tc -n "$ns" qdisc show dev eth0 | grep -o 'rate [^ ]*')"
  done
}

case ${1:-} in
  up) up "${2:-2}" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up [N] | down | status" >&2; exit 2 ;;
esac
