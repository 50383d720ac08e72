#!/usr/bin/env bash
# The local edge lab of issue 9: N emulated edge hosts as network namespaces on one bridge, plus a client, one EdgePortal
# agent per host, a state service on h1, and the lab registered in the portal as an Agent cluster.
#
#   ./lab.sh up [N]    (default N=2)  create what is missing; safe to run again
#   ./lab.sh register                 (re)register the lab in the portal at LAB_PORTAL with LAB_API_KEY (up does it too when set);
#                                     LAB_EXTRA_SERVICES: more entries (JSON objects, comma-separated) for the services list
#   ./lab.sh down                     stop the agents, kill every process in the lab's namespaces, delete what up made
#   ./lab.sh status
#   ./lab.sh agent I                  start host I's agent again if it is not running (after a crash; its images stay)
#
# LAB_PODMAN=1 also gives the hosts Podman (issue 17): one lab storage under /var/lib/P/podman (never the machine's; the
# hosts share it as they share the machine, and a container belongs to the host whose network namespace it runs in), the
# repository's tools/podman/containers.conf, and an image built offline, localhost/P:workloads (`podman import` of a rootfs
# with busybox-static, the state service and the message service linked statically; nothing is pulled). Each agent drives
# it (its EdgePortal:Agent:Podman settings); `./lab.sh container HOST SERVICE TENANT [PORT [BYTES [DIRTY]]]` runs the state
# service as a container of TENANT (the portal's tenant id, 32 hex digits) in host HOST's network (--network host),
# labelled io.edgeportal.service/io.edgeportal.tenant, so that the portal migrates it as SERVICE; `./lab.sh msgcontainer
# HOST SERVICE TENANT EXCHANGE QUEUE BYTES [REPORTS [COST_US]]` runs the message service (msgservice.c on the lab's broker)
# so, once it consumes QUEUE; down removes them all.
#
# LAB_BROKER=1 also starts RabbitMQ (Debian's rabbitmq-server, as test-infrastructure.md runs it: no systemd, HOME under
# /var/lib/P/rabbitmq) in the client namespace on LAB_NET.2:5672, where the hosts reach it over their links, and a forwarder
# on 127.0.0.1:LAB_BROKER_PORT (default LAB_AGENT_PORT+100) in the caller's namespace that carries each connection into the
# client namespace (socat; so the portal reaches the broker while the lab stays unreachable otherwise). Its URI for the
# portal (guest may log in from anywhere) is in /run/P/broker.uri; down stops both.
#
# Agents and the workload (LAB_AGENTS=0 skips both: the tests start their own): the agent is published once to
# /var/lib/P/agent (LAB_AGENT_DLL: run that build of EdgePortal.Agent.dll instead, e.g. the tests' own); agent I listens on 127.0.0.1:(LAB_AGENT_PORT+I) (default 8470+I) in the caller's namespace and acts in
# P-hI (its EdgePortal:Agent:NetworkNamespace), serving mutual TLS with certificates made once by tools/tls/make-certs.sh in
# /run/P/tls (a CA, one per agent named P-hI, the portal's client certificate); each agent knows the others as its peers. The state service (workload (a), 10 MB,
# 1000 dirty pages/s, port 7000) runs on h1 behind its own address LAB_NET.100 and is registered with h1's agent as
# lab-state. up writes /run/P/portal.args: the portal's command-line configuration for the Agent cluster P
#   dotnet run --project src/EdgePortal.Web -- $(sudo cat /run/eplab/portal.args)
# and, with LAB_PORTAL (e.g. http://127.0.0.1:5080) and LAB_API_KEY (a ProviderAdmin key), registers the cluster, its
# hosts (LAB_NODE_CPU millicores each, default 2000: a service takes 250), their links at LAB_RATE, tenant LAB_TENANT (default "SkyFleet Drones"; created when the portal has none of that
# name, POST /api/v1/tenants) and lab-state with the portal (PUT /api/v1/clusters/P; idempotent).
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

agents=${LAB_AGENTS:-1}
agent_port=${LAB_AGENT_PORT:-8470}
tenant=${LAB_TENANT:-SkyFleet Drones}
broker=${LAB_BROKER:-0}
podman_lab=${LAB_PODMAN:-0}
broker_port=${LAB_BROKER_PORT:-$((agent_port + 100))}
state=/run/$prefix
lib=/var/lib/$prefix
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Podman, for container workloads on the lab's hosts, reads the repository's configuration (runc, limits this VM allows,
# no systemd), not the machine's: tools/podman/containers.conf.
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tools/podman/containers.conf}

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

# Post-copy (criu dump --lazy-pages): root here lacks CAP_SYS_RESOURCE, so CRIU cannot grow its page pipes past
# fs.pipe-max-size (1 MiB by default) and the first page request fails ("page-pipe: tee: … Operation not permitted").
# up raises the machine-wide limit to 256 MiB and keeps the old value in $state; down puts it back.
lazy_pages_on() {
  mkdir -p "$state"
  local now; now=$(cat /proc/sys/fs/pipe-max-size)
  [[ -f $state/pipe-max-size.orig ]] || echo "$now" >"$state/pipe-max-size.orig"
  if ((now < 268435456)); then say "fs.pipe-max-size $now -> 268435456 (CRIU lazy pages)"; sysctl -qw fs.pipe-max-size=268435456; fi
}

lazy_pages_off() {
  [[ -f $state/pipe-max-size.orig ]] || return 0
  local orig; orig=$(cat "$state/pipe-max-size.orig")
  if [[ $(cat /proc/sys/fs/pipe-max-size) != "$orig" ]]; then say "fs.pipe-max-size back to $orig"; sysctl -qw fs.pipe-max-size="$orig"; fi
  rm -f "$state/pipe-max-size.orig"
}

up() {
  local n=${1:-2}
  [[ $n =~ ^[1-9][0-9]?$ ]] || { echo "lab.sh up N: N is 1..99" >&2; exit 2; }
  ensure_ns "$prefix-sw"
  ip -n "$prefix-sw" link show br0 >/dev/null 2>&1 || { say "bridge $prefix-sw:br0"; ip -n "$prefix-sw" link add br0 type bridge; }
  ip -n "$prefix-sw" link set br0 up
  link "$prefix-client" "$net.2" client
  for ((i = 1; i <= n; i++)); do
    link "$prefix-h$i" "$net.$((10 + i))" "h$i"
    # Edge hosts route (a Kubernetes node always does): a host that no longer holds a moved service address forwards a
    # client's packet for it to the host that does. Set here, not inherited from the machine, so the lab behaves the same
    # on every machine (a new namespace copies the initial one's setting).
    ip netns exec "$prefix-h$i" sysctl -qw net.ipv4.ip_forward=1
  done
  lazy_pages_on
  if [[ $agents == 1 ]]; then
    mkdir -p "$state" "$lib"
    echo "$n" >"$state/hosts"
    local nodes=() h
    for ((h = 1; h <= n; h++)); do nodes+=("$prefix-h$h=127.0.0.1"); done
    "$repo/tools/tls/make-certs.sh" "$state/tls" "${nodes[@]}" >/dev/null
    if [[ $podman_lab == 1 ]]; then podman_image; fi
    for ((i = 1; i <= n; i++)); do start_agent "$i"; done
    start_workload
    portal_args "$n"
    if [[ $broker == 1 ]]; then start_broker; fi
    if [[ -n ${LAB_PORTAL:-} && -n ${LAB_API_KEY:-} ]]; then register; else say "set LAB_PORTAL and LAB_API_KEY and run ./lab.sh register to add the lab to the portal"; fi
  fi
  status
}

# curl as the portal: its client certificate, trusting the lab's CA only.
agent_curl() { curl --cacert "$state/tls/ca.crt" --cert "$state/tls/portal.crt" --key "$state/tls/portal.key" "$@"; }

# Agent I on 127.0.0.1:(agent_port+I), acting in host I's network namespace; published once, started unless it answers.
start_agent() {
  local i=$1 port=$((agent_port + $1)) dll=${LAB_AGENT_DLL:-$lib/agent/EdgePortal.Agent.dll}
  if [[ ! -f $dll && -z ${LAB_AGENT_DLL:-} ]]; then
    say "publishing the agent to $lib/agent"
    dotnet publish "$repo/src/EdgePortal.Agent" -c Release -o "$lib/agent" --nologo -v:q >/dev/null
  fi
  local pidfile=$state/agent-h$i.pid
  if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return; fi
  if curl --max-time 5 -ksS -o /dev/null "https://127.0.0.1:$port/healthz" 2>/dev/null || curl --max-time 5 -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
    echo "lab.sh: 127.0.0.1:$port already answers, but not with this lab's agent h$i: set LAB_AGENT_PORT to a free range" >&2
    exit 1
  fi
  say "agent h$i on 127.0.0.1:$port"
  mkdir -p "$lib/h$i/images" "$lib/h$i/checkpoints"
  # Its peers: every other lab agent, by name, with its page server on that host's address.
  local -a peers=() n j
  n=$(cat "$state/hosts")
  for ((j = 1; j <= n; j++)); do
    ((j == i)) && continue
    peers+=("EdgePortal__Agent__Peers__$prefix-h${j}__Url=https://127.0.0.1:$((agent_port + j))/"
      "EdgePortal__Agent__Peers__$prefix-h${j}__PageServerAddress=$net.$((10 + j))")
  done
  if [[ $podman_lab == 1 ]]; then
    peers+=(EdgePortal__Agent__Podman__Enabled=true "EdgePortal__Agent__Podman__ConfigFile=$CONTAINERS_CONF" "EdgePortal__Agent__Podman__Root=$lib/podman/root"
      "EdgePortal__Agent__Podman__RunRoot=$lib/podman/run" "EdgePortal__Agent__Podman__TmpDir=$lib/podman/tmp")
  fi
  env "${peers[@]}" EdgePortal__Agent__NetworkNamespace=/run/netns/$prefix-h$i \
    EdgePortal__Agent__ImageDirectory=$lib/h$i/images EdgePortal__Agent__CheckpointDirectory=$lib/h$i/checkpoints \
    EdgePortal__Agent__Tls__CertificateFile=$state/tls/$prefix-h$i.crt EdgePortal__Agent__Tls__KeyFile=$state/tls/$prefix-h$i.key \
    EdgePortal__Agent__Tls__ClientAuthorityFile=$state/tls/ca.crt EdgePortal__Agent__Tls__PortalClientNames__0=edgeportal-portal \
    setsid dotnet "$dll" --urls "https://127.0.0.1:$port" </dev/null >"$state/agent-h$i.log" 2>&1 &
  echo $! >"$state/agent-h$i.pid"
  for _ in $(seq 1 100); do
    agent_curl --max-time 5 -fsS -o /dev/null "https://127.0.0.1:$port/healthz" 2>/dev/null && return
    kill -0 "$(cat "$state/agent-h$i.pid")" 2>/dev/null || { echo "lab.sh: agent h$i exited: $(tail -5 "$state/agent-h$i.log")" >&2; exit 1; }
    sleep 0.1
  done
  echo "lab.sh: agent h$i did not answer on 127.0.0.1:$port within 10 s: $(tail -5 "$state/agent-h$i.log")" >&2
  exit 1
}

# The state service on h1 behind LAB_NET.100, registered with h1's agent as lab-state (unless h1's agent already has it).
start_workload() {
  local port=$((agent_port + 1)) src=$repo/tests/EdgePortal.Testing.Lab/Criu/Workload
  if agent_curl --max-time 5 -fsS -o /dev/null "https://127.0.0.1:$port/criu/workloads/lab-state" 2>/dev/null; then return; fi
  mkdir -p "$lib/bin"
  gcc -O2 -Wall -Wextra -Werror -o "$lib/bin/stateservice" "$src/stateservice.c"
  gcc -O2 -Wall -Wextra -Werror -o "$lib/bin/probeclient" "$src/probeclient.c"
  ip -n "$prefix-h1" addr replace "$net.100/24" dev eth0
  say "state service lab-state on $prefix-h1, $net.100:7000 (10 MB, 1000 dirty pages/s)"
  nsenter --net=/run/netns/$prefix-h1 -- "$lib/bin/stateservice" 7000 10485760 1000 >"$state/lab-state.out" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do grep -q '^listening' "$state/lab-state.out" 2>/dev/null && break; sleep 0.05; done
  grep -q '^listening' "$state/lab-state.out" || { echo "lab.sh: the state service did not start: $(cat "$state/lab-state.out")" >&2; exit 1; }
  agent_curl --max-time 5 -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' \
    -d "{\"pid\":$pid}" "https://127.0.0.1:$port/criu/workloads/lab-state"
}

# Podman on the lab's own storage (its own --tmpdir too: the machine's /run/libpod belongs to the machine's storage).
lab_podman() { podman --root "$lib/podman/root" --runroot "$lib/podman/run" --tmpdir "$lib/podman/tmp" "$@"; }

# The lab's container image, built offline once: busybox-static and the state service linked statically.
podman_image() {
  command -v podman >/dev/null && [[ -x /bin/busybox ]] || { echo "lab.sh: LAB_PODMAN=1 needs podman, runc and busybox-static (apt-get install -y podman runc busybox-static)" >&2; exit 1; }
  if lab_podman image exists "localhost/$prefix:workloads" 2>/dev/null; then return; fi
  local rootfs=$lib/podman/rootfs a
  rm -rf "$rootfs"
  mkdir -p "$rootfs/bin" "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for a in sh sleep cat ls true; do ln -sf busybox "$rootfs/bin/$a"; done
  gcc -O2 -static -Wall -Wextra -Werror -o "$rootfs/stateservice" "$repo/tests/EdgePortal.Testing.Lab/Criu/Workload/stateservice.c"
  # The message service too where librabbitmq links statically (librabbitmq-dev), as the lab tests' image holds it.
  if [[ -f /usr/include/amqp.h ]]; then
    gcc -O2 -static -Wall -Wextra -Werror -o "$rootfs/msgservice" "$repo/tests/EdgePortal.Testing.Lab/Criu/Workload/msgservice.c" \
      -lrabbitmq -lssl -lcrypto -lpthread -ldl 2>/dev/null || say "image without msgservice (it did not link statically)"
  fi
  say "image localhost/$prefix:workloads (busybox-static + stateservice$([[ -x $rootfs/msgservice ]] && echo " + msgservice"), podman import)"
  tar -C "$rootfs" -cf "$lib/podman/rootfs.tar" .
  lab_podman import "$lib/podman/rootfs.tar" "localhost/$prefix:workloads" >/dev/null
}

# ./lab.sh container HOST SERVICE TENANT [PORT [BYTES [DIRTY]]]: the state service as TENANT's container on host HOST.
container() {
  local host=$1 service=$2 owner=$3 port=${4:-7000} bytes=${5:-10485760} dirty=${6:-1000} id
  [[ $podman_lab == 1 ]] || { echo "lab.sh container: set LAB_PODMAN=1 (for up as well)" >&2; exit 2; }
  [[ $host =~ ^h[0-9]+$ && $service =~ ^[a-z0-9][a-z0-9._-]*$ && $owner =~ ^[a-z0-9][a-z0-9_-]{0,63}$ && $port =~ ^[0-9]+$ ]] \
    || { echo "usage: $0 container hI SERVICE TENANT [PORT [BYTES [DIRTY]]] (TENANT: the portal's tenant id without dashes)" >&2; exit 2; }
  exists "$prefix-$host" || { echo "lab.sh container: no host $prefix-$host (./lab.sh up first)" >&2; exit 1; }
  podman_image
  id=$(nsenter --net=/run/netns/$prefix-$host -- podman --root "$lib/podman/root" --runroot "$lib/podman/run" --tmpdir "$lib/podman/tmp" \
    run -d --network host --name "$service.$owner" --label "io.edgeportal.service=$service" --label "io.edgeportal.tenant=$owner" \
    "localhost/$prefix:workloads" /stateservice "$port" "$bytes" "$dirty")
  for _ in $(seq 1 100); do lab_podman logs "$id" 2>/dev/null | grep -q '^listening' && break; sleep 0.05; done
  lab_podman logs "$id" 2>/dev/null | grep -q '^listening' || { echo "lab.sh container: the state service did not start: $(lab_podman logs "$id" 2>&1 | tail -3)" >&2; exit 1; }
  say "container $service.$owner on $prefix-$host, port $port ($((bytes / 1048576)) MB, $dirty dirty pages/s): ${id:0:12}"
}

# ./lab.sh msgcontainer HOST SERVICE TENANT EXCHANGE QUEUE BYTES [REPORTS [COST_US]]: the message service as TENANT's
# container on host HOST, consuming QUEUE (bound to EXCHANGE) on the lab's broker (LAB_BROKER=1) as guest.
msgcontainer() {
  local host=$1 service=$2 owner=$3 exchange=$4 queue=$5 bytes=$6 reports=${7:-} cost=${8:-} id
  [[ $podman_lab == 1 && -f $state/broker.uri ]] || { echo "lab.sh msgcontainer: set LAB_PODMAN=1 and LAB_BROKER=1 (for up as well)" >&2; exit 2; }
  [[ $host =~ ^h[0-9]+$ && $service =~ ^[a-z0-9][a-z0-9._-]*$ && $owner =~ ^[a-z0-9][a-z0-9_-]{0,63}$ && $bytes =~ ^[0-9]+$ && -n $exchange && -n $queue ]] \
    || { echo "usage: $0 msgcontainer hI SERVICE TENANT EXCHANGE QUEUE BYTES [REPORTS [COST_US]]" >&2; exit 2; }
  exists "$prefix-$host" || { echo "lab.sh msgcontainer: no host $prefix-$host (./lab.sh up first)" >&2; exit 1; }
  podman_image
  id=$(nsenter --net=/run/netns/$prefix-$host -- podman --root "$lib/podman/root" --runroot "$lib/podman/run" --tmpdir "$lib/podman/tmp" \
    run -d --network host --name "$service.$owner" --label "io.edgeportal.service=$service" --label "io.edgeportal.tenant=$owner" \
    "localhost/$prefix:workloads" /msgservice "$net.2" 5672 guest guest "$exchange" "$queue" "$bytes" ${reports:+"$reports"} ${cost:+"$cost"})
  for _ in $(seq 1 200); do lab_podman logs "$id" 2>/dev/null | grep -q "consuming $queue" && break; sleep 0.05; done
  lab_podman logs "$id" 2>/dev/null | grep -q "consuming $queue" || { echo "lab.sh msgcontainer: the message service does not consume $queue: $(lab_podman logs "$id" 2>&1 | tail -3)" >&2; exit 1; }
  say "container $service.$owner on $prefix-$host, consuming $queue ($((bytes / 1048576)) MB): ${id:0:12}"
}

# RabbitMQ in the client namespace on LAB_NET.2:5672 and a forwarder into it on 127.0.0.1:LAB_BROKER_PORT (each unless it answers).
start_broker() {
  local home=$lib/rabbitmq ctl=/usr/lib/rabbitmq/bin/rabbitmqctl
  [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || { echo "lab.sh: LAB_BROKER=1 needs Debian's rabbitmq-server (apt-get install -y rabbitmq-server)" >&2; exit 1; }
  command -v socat >/dev/null || { echo "lab.sh: LAB_BROKER=1 needs socat (apt-get install -y socat)" >&2; exit 1; }
  local -a env=(HOME="$home" RABBITMQ_NODENAME=edgeportal@localhost RABBITMQ_NODE_IP_ADDRESS="$net.2" RABBITMQ_NODE_PORT=5672
    RABBITMQ_DIST_PORT=25672 RABBITMQ_MNESIA_BASE="$home/mnesia" RABBITMQ_LOG_BASE="$home/log" RABBITMQ_PID_FILE="$home/rabbit.pid"
    RABBITMQ_CONFIG_FILE="$home/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$home/enabled_plugins" ERL_EPMD_ADDRESS=127.0.0.1)
  if ! nsenter --net=/run/netns/$prefix-client -- bash -c "exec 3<>/dev/tcp/$net.2/5672" 2>/dev/null; then
    say "RabbitMQ in $prefix-client on $net.2:5672"
    mkdir -p "$home"
    printf 'loopback_users = none\ndisk_free_limit.absolute = 1MB\n' >"$home/rabbitmq.conf"
    echo '[].' >"$home/enabled_plugins"
    env "${env[@]}" setsid nsenter --net=/run/netns/$prefix-client -- /usr/lib/rabbitmq/bin/rabbitmq-server </dev/null >"$state/rabbitmq.log" 2>&1 &
    env "${env[@]}" nsenter --net=/run/netns/$prefix-client -- "$ctl" -q wait "$home/rabbit.pid" --timeout 120 >>"$state/rabbitmq.log" 2>&1 \
      || { echo "lab.sh: RabbitMQ did not start in $prefix-client: $(tail -5 "$state/rabbitmq.log")" >&2; exit 1; }
  fi
  if ! [[ -f $state/broker-forwarder.pid ]] || ! kill -0 "$(cat "$state/broker-forwarder.pid")" 2>/dev/null; then
    say "broker forwarder 127.0.0.1:$broker_port -> $prefix-client $net.2:5672"
    setsid socat "TCP-LISTEN:$broker_port,bind=127.0.0.1,reuseaddr,fork,nodelay" \
      "SYSTEM:exec nsenter --net=/run/netns/$prefix-client -- socat STDIO TCP\:$net.2\:5672\,nodelay" </dev/null >"$state/broker-forwarder.log" 2>&1 &
    echo $! >"$state/broker-forwarder.pid"
  fi
  echo "amqp://guest:guest@127.0.0.1:$broker_port/" >"$state/broker.uri"
}

# The portal's configuration for the Agent cluster: its agents, its client certificate and their CA, the service address that moves with lab-state.
portal_args() {
  local n=$1 i key=--EdgePortal:AgentEdge:Clusters:$prefix
  {
    echo "$key:Tls:CertificateFile=$state/tls/portal.crt"
    echo "$key:Tls:KeyFile=$state/tls/portal.key"
    echo "$key:Tls:AuthorityFile=$state/tls/ca.crt"
    for ((i = 1; i <= n; i++)); do echo "$key:Nodes:$prefix-h$i=https://127.0.0.1:$((agent_port + i))/"; done
    echo "$key:ServiceAddresses:lab-state=$net.100/24"
  } >"$state/portal.args"
  chmod 600 "$state/portal.args"
  say "portal configuration in $state/portal.args: dotnet run --project src/EdgePortal.Web -- \$(sudo cat $state/portal.args)"
}

# PUT /api/v1/clusters/P: the hosts (Turin, a few hundred metres apart), a link between every two at LAB_RATE, the tenant
# and lab-state on h1 with its users (the lab's client) at the last host, so the designer has somewhere to move it.
register() {
  [[ -n ${LAB_PORTAL:-} && -n ${LAB_API_KEY:-} ]] || { echo "lab.sh register: set LAB_PORTAL (the portal's URL) and LAB_API_KEY (a ProviderAdmin key)" >&2; exit 2; }
  local n i j nodes="" links="" bits
  n=$(cat "$state/hosts" 2>/dev/null || echo 2)
  bits=$(rate_bits "$rate")
  for ((i = 1; i <= n; i++)); do
    nodes+="${nodes:+,}{\"name\":\"$prefix-h$i\",\"site\":\"lab host $i\",\"cpuMillicores\":${LAB_NODE_CPU:-2000},\"memoryBytes\":4000000000,\"latitude\":45.07$i,\"longitude\":7.68$i,\"hostClass\":\"criu-lab\"}"
    for ((j = i + 1; j <= n; j++)); do links+="${links:+,}{\"from\":\"$prefix-h$i\",\"to\":\"$prefix-h$j\",\"bandwidthBitsPerSecond\":$bits,\"latencyMs\":0.1}"; done
  done
  local body="{\"kind\":\"Agent\",\"region\":\"CRIU lab $prefix\",\"nodes\":[$nodes],\"links\":[$links],\"tenants\":[\"$tenant\"],
    \"services\":[{\"name\":\"lab-state\",\"tenant\":\"$tenant\",\"node\":\"$prefix-h1\",\"stateBytes\":10485760,\"dirtyPagesPerSecond\":1000,
    \"maxDowntimeMs\":2000,\"maxMigrationTimeMs\":10000,\"maxUserLatencyMs\":50,\"users\":[{\"name\":\"lab client\",\"attachedTo\":\"$prefix-h$n\",\"count\":1}]}${LAB_EXTRA_SERVICES:+,$LAB_EXTRA_SERVICES}]}"
  local answer code
  # The tenant first: a portal without the demo edge has none yet; one that has it answers that it exists already.
  answer=$(curl --max-time 60 -sS -w '\n%{http_code}' -X POST -H "Authorization: Bearer $LAB_API_KEY" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$tenant\"}" "${LAB_PORTAL%/}/api/v1/tenants")
  code=${answer##*$'\n'}
  if [[ $code == 201 ]]; then
    say "created tenant $tenant"
  elif [[ $code != 400 || $answer != *"exists already"* ]]; then
    echo "lab.sh register: creating tenant $tenant, the portal answered $code: ${answer%$'\n'*}" >&2; exit 1
  fi
  answer=$(curl --max-time 60 -sS -w '\n%{http_code}' -X PUT -H "Authorization: Bearer $LAB_API_KEY" -H 'Content-Type: application/json' -d "$body" "${LAB_PORTAL%/}/api/v1/clusters/$prefix")
  code=${answer##*$'\n'}
  [[ $code == 200 || $code == 201 ]] || { echo "lab.sh register: the portal answered $code: ${answer%$'\n'*}" >&2; exit 1; }
  say "registered Agent cluster $prefix with the portal at $LAB_PORTAL ($code): ${answer%$'\n'*}"
}

# tc's rate (1gbit, 100mbit, 500kbit) in bits per second.
rate_bits() {
  local r=${1,,}
  case $r in
    *gbit) echo $(( ${r%gbit} * 1000000000 )) ;;
    *mbit) echo $(( ${r%mbit} * 1000000 )) ;;
    *kbit) echo $(( ${r%kbit} * 1000 )) ;;
    *bit) echo "${r%bit}" ;;
    *) echo "lab.sh: LAB_RATE '$1' is not N[k|m|g]bit" >&2; exit 2 ;;
  esac
}

down() {
  local ns pids f
  lazy_pages_off
  for f in "$state"/agent-h*.pid "$state"/broker-forwarder.pid; do
    [[ -f $f ]] || continue
    pids=$(cat "$f")
    if kill -0 "$pids" 2>/dev/null; then say "stopping $(basename "$f" .pid) ($pids)"; kill "$pids"; fi
    rm -f "$f"
  done
  if [[ -d $lib/podman ]]; then
    say "removing the lab's containers and images ($lib/podman)"
    lab_podman rm --all --force --time 1 >/dev/null 2>&1 || true
    lab_podman rmi --all --force >/dev/null 2>&1 || true
    grep -o " $lib/podman/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount --lazy 2>/dev/null || true
  fi
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
  rm -rf "$state" "$lib"
  say "down ($prefix)"
}

status() {
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$prefix-(client|h[0-9]+)$" | sort -V || true); do
    echo "$ns /run/netns/$ns $(ip -n "$ns" -4 -o addr show dev eth0 | awk '{print $4}' | tr '\n' ' ')$(tc -n "$ns" qdisc show dev eth0 | grep -o 'rate [^ ]*')"
  done
  for f in "$state"/agent-h*.pid; do
    [[ -f $f ]] || continue
    local h=${f##*/agent-}; h=${h%.pid}
    if kill -0 "$(cat "$f")" 2>/dev/null; then echo "agent $h pid $(cat "$f") https://127.0.0.1:$((agent_port + ${h#h}))/"; else echo "agent $h not running (log: $state/agent-$h.log)"; fi
  done
  if [[ -f $state/broker.uri ]]; then echo "broker $net.2:5672 in $prefix-client, for the portal at $(cat "$state/broker.uri")"; fi
}

case ${1:-} in
  up) up "${2:-2}" ;;
  register) register ;;
  down) down ;;
  status) status ;;
  container) container "${@:2}" ;;
  msgcontainer) msgcontainer "${@:2}" ;;
  agent) [[ ${2:-} =~ ^[1-9][0-9]?$ && -f $state/hosts && $2 -le $(cat "$state/hosts") ]] || { echo "usage: $0 agent I (a host of the lab that is up)" >&2; exit 2; }
    start_agent "$2" ;;
  *) echo "usage: $0 up [N] | register | down | status | container hI SERVICE TENANT [PORT [BYTES [DIRTY]]] | msgcontainer hI SERVICE TENANT EXCHANGE QUEUE BYTES [REPORTS [COST_US]] | agent I" >&2; exit 2 ;;
esac
