#!/usr/bin/env bash
# Issue 9, item 6: real migrations between two lab hosts at 1 Gbit/s, measured by real clients, in one table.
#
#   sudo bench/migration-lab.sh                  # RUNS=20 of every row for 10, 100 and 500 MB (~40 min on 2 shared cores)
#   sudo RUNS=3 bench/migration-lab.sh           # a quick check (~4 min, most of it building and calibrating)
#
# Rows, per state size (SIZES, MB):
#   Cold, naive       the papers' baseline, driven by this script without the portal: criu dump to files on the source,
#                     the files copied to the destination over the lab link (tar | socat), criu restore there, the service
#                     address moved as the agent moves it (guarded, then unsolicited ARP). Workload (a), stateservice.c.
#   Cold, EdgePortal  the same service through the real portal: POST /api/v1/migrations {strategy: Cold} → engine → Agent
#                     runtime → two agents → CRIU (dump, stream at the plan's bandwidth, restore, switch). Once per
#                     EdgePortal:AgentEdge:Clusters:<c>:ColdTransfer value this checkout has (Images, PageServer), the
#                     portal restarted with each value in every run. Images: the agents (on 127.0.0.1, as lab.sh runs
#                     them) stream the files through their token bucket at the plan's bandwidth; PageServer: the dump
#                     sends its pages over the lab link to `criu page-server` on the destination.
#   IterativePreCopy  probed with `criu check --feature mem_dirty_track`; run through the portal only where it says yes.
#   MessageReplay     MS2M through the portal, workload (b) (msgservice.c, 1 ms of work per message) consuming RabbitMQ
#                     in the lab's client namespace while msgprobe publishes one message every 2 ms. Each run checks that
#                     the copy applied every number once, and says where the longest gap was: the hand-over, or the
#                     source alone (frozen for the checkpoint: CRIU dumps a running process frozen).
#   PostCopy          CRIU lazy migration of the state service through the portal (criu dump --lazy-pages on the source,
#                     criu lazy-pages + restore --lazy-pages on the destination, the pages at the plan's bandwidth); its
#                     services allow post-copy (allowPostCopy, as their tenant does). Besides its downtime: the client's p99
#                     request latency during the degradation window (from the end of the longest gap for as long as the
#                     engine's PageIn step lasted), when each first touch of a page waits for it to come from the source.
#   MessageReplay, Podman / ReplayWithCutoff, Podman (PODMAN=1, at PODMAN_SIZES): the same message service as a Podman
#                     container of the services' tenant (./lab.sh msgcontainer; runc, the copy restored with its connections
#                     closed through org.criu.config), through the portal as the process rows: issue 17 item 4.
#   designer          what POST /api/v1/services/{id}/plan picks for the message service (every strategy applies to it)
#                     and for the state service (no message stream: Cold, PreCopy where dirty tracking works, PostCopy);
#                     its runs are those of the row of that strategy, or run here when no row has them.
# Before the runs, the portal's `calibrate` verb fits the model on h1 → h2 (sizes CALIBRATE_SIZES, dirty rates 0 and 1000 pages/s,
# CALIBRATE_REPEAT repeats) and stores it for the lab's host class, so every plan's prediction is the calibrated model's: Cold's
# terms, and at every point a live dump's freeze (MessageReplay's T_f) and a post-copy (T_ld, T_lr, CRIU's page-in W_c).
#
# Measured, per run: downtime = the time the client went without service (state service: the longest gap between two
# answers of probeclient.c, one request every 2 ms on one TCP connection; message service: the two intervals in which no
# instance applied the next message number, added: the source frozen for its live dump and the hand-over); total = the
# migration time the model predicts, from the dump's start to the service served from the destination (the naive path's
# wall clock to the restored service announced; the engine's steps from Checkpoint to the last before CleanUp), and the
# engine's whole run (measuredMigrationTimeMs, Profile to CleanUp) beside it for Cold. Rows are interleaved run by run
# (run i of every row, then run i+1) so that the shared machine's load drifts over all rows alike. Each run starts a
# fresh workload on the host where the service is (runs alternate h1 → h2, h2 → h1): nothing depends on migrating a
# restored process again.
#
# Settings: RUNS (20), SIZES ("10 100 500"), CALIBRATE_SIZES (SIZES; at least two), CALIBRATE_REPEAT (3), PODMAN (0), PODMAN_SIZES ("10 100"), LAB_PREFIX (epbench), LAB_NET (10.239.0), LAB_AGENT_PORT
# (8570), LAB_RATE (1gbit), BENCH_PORTAL_PORT (5390), KEEP=1 keeps the work folder (logs of every run). Needs root, CRIU
# 4.2 at /usr/local/sbin/criu (tools/criu/install.sh), rabbitmq-server, librabbitmq-dev, socat, jq, gcc, dotnet. Whatever
# happens (an error, Ctrl-C, SIGTERM), the portal is stopped and `lab.sh down` removes the lab.
set -Eeuo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-20}
SIZES=${SIZES:-"10 100 500"}
CALIBRATE_REPEAT=${CALIBRATE_REPEAT:-3}
CALIBRATE_SIZES=${CALIBRATE_SIZES:-$(tr -s ' ' , <<<"$SIZES")}   # every benched size: nothing extrapolated
export LAB_PREFIX=${LAB_PREFIX:-epbench} LAB_NET=${LAB_NET:-10.239.0} LAB_AGENT_PORT=${LAB_AGENT_PORT:-8570} LAB_RATE=${LAB_RATE:-1gbit}
export LAB_BROKER=1
# PODMAN=1: the message service also as a Podman container (issue 17 item 4), MessageReplay and ReplayWithCutoff rows at
# PODMAN_SIZES beside the process rows; the lab's hosts get Podman (lab.sh LAB_PODMAN=1).
PODMAN=${PODMAN:-0}
PODMAN_SIZES=${PODMAN_SIZES:-"10 100"}
if [[ $PODMAN == 1 ]]; then export LAB_PODMAN=1 CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tools/podman/containers.conf}; fi
prefix=$LAB_PREFIX net=$LAB_NET
portal_port=${BENCH_PORTAL_PORT:-5390}
criu=/usr/local/sbin/criu
interval_ms=2 cost_us=1000 dirty=1000 lambda=480 mu=900
h1=$prefix-h1 h2=$prefix-h2

die() { echo "migration-lab: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, CRIU)."
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, got '$RUNS'."
[[ -x $criu ]] || die "CRIU is not at $criu: run tools/criu/install.sh (Debian 12's 3.17 fails on this kernel)."
for tool in jq socat gcc dotnet curl nsenter unshare arping nft; do command -v $tool >/dev/null || die "$tool is missing."; done
[[ -f /usr/include/amqp.h ]] || die "librabbitmq-dev is missing (msgservice.c and msgprobe.c need it)."
if [[ $PODMAN == 1 ]]; then for tool in podman runc busybox; do command -v $tool >/dev/null || die "PODMAN=1: $tool is missing (apt-get install -y podman runc busybox-static)."; done; fi
podman_sizes() { local size p; for size in $SIZES; do for p in $PODMAN_SIZES; do [[ $size != "$p" ]] || echo "$size"; done; done; }
lab_podman() { podman --root "/var/lib/$LAB_PREFIX/podman/root" --runroot "/var/lib/$LAB_PREFIX/podman/run" --tmpdir "/var/lib/$LAB_PREFIX/podman/tmp" "$@"; }

work=$(mktemp -d /tmp/migration-lab.XXXXXX)
bin=$work/bin
portal_pid=""
declare -A started=()   # pids this script started that may outlive a run

cleanup() {
  local rc=$?
  set +e
  trap - ERR INT TERM
  for pid in "${!started[@]}"; do kill -9 "$pid" 2>/dev/null; done
  if [[ -n $portal_pid ]] && kill -0 "$portal_pid" 2>/dev/null; then
    echo "migration-lab: stopping the portal ($portal_pid)" >&2
    kill "$portal_pid"; wait "$portal_pid" 2>/dev/null
  fi
  "$repo/lab.sh" down >"$work/lab-down.log" 2>&1 || { echo "migration-lab: lab.sh down failed:" >&2; cat "$work/lab-down.log" >&2; }
  if [[ ${KEEP:-0} == 1 ]]; then echo "migration-lab: logs kept in $work" >&2; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'echo "migration-lab: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
log() { echo "[$(date -u +%H:%M:%S)] $*"; }

# ---------------------------------------------------------------------------------------------------------------- set-up
env_line() {
  echo "kernel $(uname -r), CRIU $($criu --version | awk '/Version/ {print $2}') (dirty tracking $dirty_tracking), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 1024 )) GB, .NET $(dotnet --version), RabbitMQ $(dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null || echo ?), commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- src lab.sh bench 2>/dev/null || echo '+local changes')"
}

if $criu check --feature mem_dirty_track >/dev/null 2>&1; then dirty_tracking=on; else dirty_tracking=off; fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "EdgePortal migration lab benchmark: RUNS=$RUNS, sizes ${SIZES// /, } MB, work folder $work"

log "building the portal (Release) and the workloads"
dotnet build "$repo/src/EdgePortal.Web" -c Release --nologo -v:q -o "$work/portal" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "the portal did not build"; }
portal_dll=$work/portal/EdgePortal.Web.dll
mkdir -p "$bin"
wl=$repo/tests/EdgePortal.Testing.Lab/Criu/Workload
gcc -O2 -Wall -Wextra -Werror -o "$bin/stateservice" "$wl/stateservice.c"
gcc -O2 -Wall -Wextra -Werror -o "$bin/probeclient" "$wl/probeclient.c"
gcc -O2 -Wall -Wextra -Werror -o "$bin/msgservice" "$wl/msgservice.c" -lrabbitmq
gcc -O2 -Wall -Wextra -Werror -o "$bin/msgprobe" "$repo/bench/migration-lab/msgprobe.c" -lrabbitmq

# ColdTransfer (Images | PageServer) is an option of the Agent runtime once it exists in this checkout.
if grep -q 'ColdTransfer' "$repo/src/EdgePortal.Runtime.Agent/AgentEdgeOptions.cs"; then cold_transfers=${COLD_TRANSFERS:-"Images PageServer"}; else cold_transfers=""; fi

log "lab up: 2 hosts at $LAB_RATE, an agent each, RabbitMQ in the client namespace"
"$repo/lab.sh" down >/dev/null 2>&1 || true
"$repo/lab.sh" up 2 >"$work/lab-up.log" 2>&1 || { cat "$work/lab-up.log" >&2; die "lab.sh up failed"; }
# lab.sh's agents serve mutual TLS with the certificates it made in /run/P/tls (a checkout from before: a bearer token).
tls=/run/$prefix/tls
if [[ -d $tls ]]; then auth=(--cacert "$tls/ca.crt" --cert "$tls/portal.crt" --key "$tls/portal.key"); scheme=https
else auth=(-H "Authorization: Bearer $(cat "/run/$prefix/token")"); scheme=http; fi
broker_uri=$(cat "/run/$prefix/broker.uri")
agent_url() { echo "$scheme://127.0.0.1:$((LAB_AGENT_PORT + ${1#"$prefix"-h}))"; }
agent() { local method=$1 node=$2 path=$3; shift 3; curl -sS -X "$method" "${auth[@]}" -H 'Content-Type: application/json' "$@" "$(agent_url "$node")/$path"; }
# lab.sh's own lab-state idles on h1; the benchmark's services have addresses and names of their own.
# Each service its own address and port (a copy restored on a host must never find its port taken by another's).
state_address() { echo "$net.$((100 + ($1 >= 500 ? 30 : $1 / 10 + ($1 >= 100 ? 1 : 0))))"; }   # 10 MB → .101, 100 MB → .111, 500 MB → .130
state_port() { echo $((7200 + $1)); }
naive_address() { echo "$net.$((150 + $1 / 10))"; }
naive_port() { echo $((8600 + $1)); }   # 8610, 8700, 9100: never a state service's port (7200 + size)

cluster_key=--EdgePortal:AgentEdge:Clusters:$prefix
portal_config() {
  cat "/run/$prefix/portal.args"
  echo "$cluster_key:Broker:Uri=$broker_uri"
  for size in $SIZES; do
    echo "$cluster_key:ServiceAddresses:bench-state-$size=$(state_address "$size")/24"
    echo "$cluster_key:Broker:Services:bench-msg-$size:Exchange=bench-msg-$size.in"
    echo "$cluster_key:Broker:Services:bench-msg-$size:Queue=bench-msg-$size.q"
  done
  for size in $( [[ $PODMAN != 1 ]] || podman_sizes); do
    echo "$cluster_key:Broker:Services:bench-msgc-$size:Exchange=bench-msgc-$size.in"
    echo "$cluster_key:Broker:Services:bench-msgc-$size:Queue=bench-msgc-$size.q"
  done
  echo "--EdgePortal:Storage:Path=$work/portal.db"
  # The demo provider holds the tenant the lab registers its services for (there is no API that creates tenants); the KPI
  # monitor and the simulated users stay off, so nothing but the benchmark migrates.
  echo "--EdgePortal:Seed:DemoEdge=true"
  echo "--EdgePortal:Automation:KpiMonitorEnabled=false"
  echo "--EdgePortal:Simulator:Mobility:Enabled=false"
}

sizes_csv=$CALIBRATE_SIZES
log "calibrating host class criu-lab on $h1 → $h2 (sizes $sizes_csv MB × dirty rates 0, 1000 pages/s × $CALIBRATE_REPEAT)"
# shellcheck disable=SC2046 # one configuration entry per line, none with spaces
dotnet "$portal_dll" calibrate --cluster "$prefix" --node "$h1" --to "$h2" --host-class criu-lab --netns "/run/netns/$h1" \
  --workload "$bin/stateservice {port} {bytes} {rate}" --sizes "$sizes_csv" --dirty-rates 0,1000 --repeat "$CALIBRATE_REPEAT" \
  $(portal_config) >"$work/calibrate.log" 2>&1 || { cat "$work/calibrate.log" >&2; die "calibrate failed"; }
grep -E '^Stored as calibration' "$work/calibrate.log" | sed 's/^/  /'

api_key=$(openssl rand -hex 32)
portal_url=http://127.0.0.1:$portal_port
api() { local method=$1 path=$2; shift 2; curl -sS -X "$method" -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' "$@" "$portal_url/api/v1/$path"; }

start_portal() {   # [ColdTransfer]
  local extra=()
  if [[ -n ${1:-} ]]; then extra=("$cluster_key:ColdTransfer=$1"); fi
  # shellcheck disable=SC2046
  ASPNETCORE_ENVIRONMENT=Production EdgePortal__Security__BootstrapApiKey=$api_key EdgePortal__Automation__KpiMonitorEnabled=false \
    setsid dotnet "$portal_dll" --urls "$portal_url" $(portal_config) "${extra[@]}" </dev/null >>"$work/portal.log" 2>&1 &
  portal_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$portal_url/healthz" 2>/dev/null && return
    kill -0 "$portal_pid" 2>/dev/null || { tail -20 "$work/portal.log" >&2; die "the portal exited"; }
    sleep 0.1
  done
  die "the portal did not answer on $portal_url within 30 s"
}
stop_portal() { kill "$portal_pid"; wait "$portal_pid" 2>/dev/null || true; portal_pid=""; }

start_portal "${cold_transfers%% *}"
services=""
for size in $SIZES; do
  bytes=$((size * 1048576))
  users="\"users\":[{\"name\":\"lab client\",\"attachedTo\":\"$h2\",\"count\":1}]"
  services+="${services:+,}{\"name\":\"bench-state-$size\",\"tenant\":\"SkyFleet Drones\",\"node\":\"$h1\",\"stateBytes\":$bytes,\"dirtyPagesPerSecond\":$dirty,\"maxDowntimeMs\":2000,\"maxMigrationTimeMs\":10000,\"maxUserLatencyMs\":50,\"allowPostCopy\":true,$users}"
  services+=",{\"name\":\"bench-msg-$size\",\"tenant\":\"SkyFleet Drones\",\"node\":\"$h1\",\"stateBytes\":$bytes,\"dirtyPagesPerSecond\":0,\"maxDowntimeMs\":2000,\"maxMigrationTimeMs\":10000,\"maxUserLatencyMs\":50,\"messageArrivalRate\":$lambda,\"messageProcessingRate\":$mu,$users}"
done
for size in $( [[ $PODMAN != 1 ]] || podman_sizes); do
  services+=",{\"name\":\"bench-msgc-$size\",\"tenant\":\"SkyFleet Drones\",\"node\":\"$h1\",\"stateBytes\":$((size * 1048576)),\"dirtyPagesPerSecond\":0,\"maxDowntimeMs\":2000,\"maxMigrationTimeMs\":10000,\"maxUserLatencyMs\":50,\"messageArrivalRate\":$lambda,\"messageProcessingRate\":$mu,\"users\":[{\"name\":\"lab client\",\"attachedTo\":\"$h2\",\"count\":1}]}"
done
# Room for every benchmark service on one host (250 millicores each): a migration must never be refused for want of it.
LAB_NODE_CPU=8000 LAB_PORTAL=$portal_url LAB_API_KEY=$api_key LAB_EXTRA_SERVICES=$services "$repo/lab.sh" register >"$work/register.log" 2>&1 || { cat "$work/register.log" >&2; die "lab.sh register failed"; }
declare -A node_id=() service_id=()
while read -r name id; do node_id[$name]=$id; done < <(api GET clusters | jq -r --arg c "$prefix" '.[] | select(.name == $c) | .nodes[] | "\(.name) \(.id)"')
while read -r name id; do service_id[$name]=$id; done < <(api GET services | jq -r '.[] | "\(.name) \(.id)"')
# The services' tenant as the agents know it (the portal's id without dashes): workloads are registered with it.
tenant_id=$(api GET services | jq -r '.[] | select(.name == "bench-msg-'"${SIZES%% *}"'") | .tenantId' | tr -d -)
[[ $tenant_id =~ ^[0-9a-f]{32}$ ]] || die "no tenant id for the benchmark's services: '$tenant_id'"
[[ -n ${node_id[$h1]:-} && -n ${node_id[$h2]:-} ]] || die "the portal does not list $h1 and $h2: $(api GET clusters)"

# -------------------------------------------------------------------------------------------------------------- helpers
# Starts a process in a lab namespace with its output in a file, as a child of this shell; its pid (nsenter execs it: the
# process's own) goes into the variable named first.
start_in() { local var=$1 ns=$2 out=$3; shift 3; nsenter --net="/run/netns/$ns" -- "$@" </dev/null >"$out" 2>&1 & started[$!]=1; printf -v "$var" %s "$!"; }
kill_quiet() { local p; for p in "$@"; do kill -9 "$p" 2>/dev/null || true; unset "started[$p]"; done; }
wait_for() {   # seconds description command...
  local limit=$1 what=$2; shift 2
  local until=$(( $(date +%s) + limit ))
  until "$@"; do (( $(date +%s) < until )) || { echo "timed out after ${limit}s waiting for $what"; return 1; }; sleep 0.05; done
}
lines() { local n; n=$(grep -c "$2" "$1" 2>/dev/null) || true; echo "${n:-0}"; }
at_least() { (( $(lines "$1" "$2") >= $3 )); }
stop_pid() { disown "$1" 2>/dev/null || true; kill "-${2:-TERM}" "$1" 2>/dev/null || true; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done; kill_quiet "$1"; wait "$1" 2>/dev/null || true; }
other() { [[ $1 == "$h1" ]] && echo "$h2" || echo "$h1"; }
where() { api GET "services/${service_id[$1]}" | jq -r .nodeName; }

# The state service (size MB) on a host behind its own address and port, registered (when a name is given) with that
# host's agent; its pid in state_pid.
start_state() {   # host size address port out [workload-name]
  local host=$1 size=$2 address=$3 port=$4 out=$5 name=${6:-}
  ip -n "$(other "$host")" addr del "$address/24" dev eth0 2>/dev/null || true
  ip -n "$host" addr replace "$address/24" dev eth0
  # The client may remember the address at the other host (the last run restored it there): forget it, or its SYNs go there
  # and connect() waits for the retransmissions (seconds).
  ip -n "$prefix-client" neigh del "$address" dev eth0 2>/dev/null || true
  start_in state_pid "$host" "$out" "$bin/stateservice" "$port" $((size * 1048576)) $dirty
  disown "$state_pid"   # CRIU's dump ends it with SIGKILL: no job notice for that
  wait_for 20 "the state service" at_least "$out" '^listening' 1 >>"$out" || return 1
  if [[ -n $name ]]; then agent PUT "$host" "criu/workloads/$name" -d "{\"pid\":$state_pid,\"tenant\":\"$tenant_id\"}" -o /dev/null -f || return 1; fi
}

# The client's p99 request latency (ms) during a post-copy's degradation window: from the end of the longest gap (the
# downtime) for WINDOW_MS; a request's latency is its answer's gap to the previous answer less the client's pause.
probe_p99() {   # probe.out window_ms
  awk -v w="$2" -v pause=$((interval_ms * 1000)) '/^ok/ { n++; t[n] = $2 }
    END { for (i = 2; i <= n; i++) if (t[i] - t[i - 1] > max) { max = t[i] - t[i - 1]; at = i }
          for (i = at + 1; i <= n && t[i] <= t[at] + w * 1000; i++) { l = t[i] - t[i - 1] - pause; print (l < 0 ? 0 : l) } }' "$1" \
    | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; r = int(0.99 * NR); if (r < 0.99 * NR) r++; printf "%.1f\n", v[r] / 1000 }'
}

# The longest gap (ms) between two answers of probeclient's output, and its reconnects.
probe_gap() { awk '/^ok/ { if (last) { g = $2 - last; if (g > max) max = g }; last = $2 } /^reconnect/ { r++ } END { printf "%.1f %d\n", max / 1000, r }' "$1"; }

# Starts a migration through the portal and waits for its end; prints the migration's JSON. Fails on a timeout.
migrate() {   # service strategy-or-empty destination
  local body answer id state
  body=$(jq -nc --arg s "${service_id[$1]}" --arg st "$2" --arg d "${node_id[$3]}" '{serviceId: $s, destinationNodeId: $d, acceptTargetMiss: true} + (if $st == "" then {} else {strategy: $st} end)')
  answer=$(api POST migrations -d "$body")
  id=$(jq -r '.id // empty' <<<"$answer")
  [[ -n $id ]] || { echo "{\"state\":\"NotStarted\",\"failureReason\":$(jq -Rs . <<<"$answer")}"; return; }
  for _ in $(seq 1 3000); do
    answer=$(api GET "migrations/$id")
    state=$(jq -r .state <<<"$answer")
    [[ $state =~ ^(Completed|RolledBack|Failed|Cancelled)$ ]] && { echo "$answer"; return; }
    sleep 0.1
  done
  api POST "migrations/$id/cancel" -o /dev/null
  echo "{\"id\":\"$id\",\"state\":\"TimedOut\",\"failureReason\":\"not finished within 300 s; cancelled\"}"
}
images_id() { echo "$1-${2//-/}"; }   # AgentEdgeRuntime.ImagesId for a service name without characters to sanitise

# row size run ok downtime_ms total_ms predicted_down predicted_total note [engine_downtime_ms [handover_ms|p99 publisher_gap_ms|window
# frozen_ms [whole_run_ms]]]; total: span_of (the naive: the dump's start to the restored service announced); whole run: Profile to CleanUp
results=$work/results.tsv
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10:-}" "${11:-}" "${12:-}" "${13:-}" "${14:-}" >>"$results"; log "  $1 $2 MB #$3: $([[ $4 == 1 ]] && echo "downtime $5 ms, total $6 ms${9:+ ($9)}" || echo "FAILED: $9")"; }

# ----------------------------------------------------------------------------------------------------------------- runs
# The papers' cold migration: dump to files, copy the files over the lab link, restore. Always h1 → h2.
run_naive() {   # size run
  local size=$1 run=$2 address port dir1 dir2 out=$work/naive-$1-$2 pid probe receiver holder="" rc t0 t1 gap reconnects
  address=$(naive_address "$size") port=$(naive_port "$size")
  dir1=/var/lib/$prefix/naive/h1/$run-$size dir2=/var/lib/$prefix/naive/h2/$run-$size
  mkdir -p "$dir1" "$dir2" "$out"
  if ! start_state "$h1" "$size" "$address" "$port" "$out/service.out"; then record cold-naive "$size" "$run" 0 "" "" "" "" "the service did not start: $(tail -2 "$out/service.out")"; return 0; fi
  pid=$state_pid
  start_in probe "$prefix-client" "$out/probe.out" "$bin/probeclient" "$address" "$port" $interval_ms 0
  if ! wait_for 20 "200 answers" at_least "$out/probe.out" '^ok' 200 >"$out/error"; then record cold-naive "$size" "$run" 0 "" "" "" "" "$(cat "$out/error")"; stop_pid "$probe"; kill_quiet "$pid"; return 0; fi
  start_in receiver "$h2" "$out/receive.out" sh -c "socat -u TCP-LISTEN:9000,bind=$net.12,reuseaddr STDOUT | tar -x -C '$dir2'"
  wait_for 5 "the receiver" sh -c "nsenter --net=/run/netns/$h2 -- ss -ltn | grep -q ':9000 '" >"$out/error" || true
  in_h1() { nsenter --net="/run/netns/$h1" -- "$@"; }
  in_h2() { nsenter --net="/run/netns/$h2" -- "$@"; }
  t0=$(now_ms)
  rc=0
  {
    in_h1 "$criu" dump -t "$pid" -D "$dir1" -o dump.log -v4 --tcp-established --network-lock nftables \
      && ip -n "$h1" addr del "$address/24" dev eth0 \
      && for table in $(in_h1 nft list tables | awk '/table inet CRIU-/ {print $3}'); do in_h1 nft delete table inet "$table"; done \
      && in_h1 tar -c -C "$dir1" . | in_h1 socat -u STDIN "TCP:$net.12:9000" \
      && wait "$receiver" \
      && in_h2 nft add table inet bench_guard \
      && in_h2 nft add chain inet bench_guard input '{ type filter hook input priority -10 ; policy accept ; }' \
      && in_h2 nft add rule inet bench_guard input ip daddr "$address" meta l4proto tcp drop \
      && ip -n "$h2" addr replace "$address/24" dev eth0
  } >"$out/steps.log" 2>&1 || rc=$?
  unset "started[$receiver]"
  if ((rc == 0)); then
    start_in holder "$h2" "$out/restore.out" unshare --pid --fork --mount-proc --kill-child -- /bin/sh -c \
      "$criu restore -D '$dir2' -o restore.log -v4 --tcp-established --network-lock nftables --restore-detached --pidfile '$dir2/restored.pid'; echo restore-exit=\$?; exec sleep infinity"
    wait_for 120 "criu restore" at_least "$out/restore.out" '^restore-exit=' 1 >"$out/error" || rc=1
    grep -q '^restore-exit=0' "$out/restore.out" || rc=1
    in_h2 nft delete table inet bench_guard 2>/dev/null || true
    (in_h2 arping -U -c 2 -I eth0 "$address" >/dev/null 2>&1 &)
  fi
  t1=$(now_ms)
  if ((rc == 0)) && wait_for 30 "200 answers after the restore" at_least "$out/probe.out" '^ok' $(( $(lines "$out/probe.out" '^ok') + 200 )) >"$out/error"; then
    stop_pid "$probe"
    read -r gap reconnects < <(probe_gap "$out/probe.out")
    record cold-naive "$size" "$run" 1 "$gap" $((t1 - t0)) "" "" "$( ((reconnects == 0)) || echo "$reconnects reconnects; ")images $(du -sm "$dir1" | cut -f1) MB" "" "" "" "" $((t1 - t0))
  else
    stop_pid "$probe"
    record cold-naive "$size" "$run" 0 "" "" "" "" "$(tail -q -n 3 "$out/steps.log" "$out/restore.out" "$out/error" 2>/dev/null | tr '\n' ' ')"
  fi
  if [[ -n $holder ]]; then stop_pid "$holder" KILL; fi
  kill_quiet "$pid" "$receiver"
  in_h2 nft delete table inet bench_guard 2>/dev/null || true
  ip -n "$h2" addr del "$address/24" dev eth0 2>/dev/null || true
  ip -n "$h1" addr del "$address/24" dev eth0 2>/dev/null || true
  rm -rf "$dir1" "$dir2"
}

declare -A last_migration=()
# Kills what a service's last migration restored (on whichever host holds it): every run leaves nothing running.
reset_service() {
  local name=$1 id=${last_migration[$1]:-} node
  # A container service: whichever host ran it, the lab's one Podman storage holds it under its name.
  if [[ $name == bench-msgc-* ]]; then lab_podman rm -f --time 1 "$name.$tenant_id" >/dev/null 2>&1 || true; fi
  [[ -n $id ]] || return 0
  for node in "$h1" "$h2"; do agent DELETE "$node" "criu/restored/$(images_id "$name" "$id")" -o /dev/null || true; done
  unset "last_migration[$name]"
}
note_migration() { local id; id=$(jq -r '.id // empty' <<<"$2"); if [[ -n $id ]]; then last_migration[$1]=$id; fi; }
floor_of() { jq -r "$1 // \"\" | if . == \"\" then . else floor end" <<<"$2"; }
# A step's timestamps (ISO 8601 with 7 decimals) in µs since the epoch, as the clients' reports are.
jq_us='def us: ((.[0:19] + "Z" | fromdateiso8601) * 1000000) + (("0" + (.[19:] | sub("[+Z].*"; ""))) | tonumber * 1000000 | floor);'
# The migration time the model predicts (T_mig) and the naive script measures: from the start of the first step after Profile
# (the dump) to the end of the last before CleanUp (the service served from the destination: switched, or its last page in).
span_of() { jq -r "$jq_us"' [.steps[] | select(.kind != "Profile" and .kind != "CleanUp" and .startedAt != null and .finishedAt != null)]
  | if length == 0 then "" else ((.[-1].finishedAt | us) - (.[0].startedAt | us)) / 1000 | floor end' <<<"$1"; }
# The Checkpoint step's start and end, µs since the epoch: a live dump's freeze lies within.
checkpoint_window() { jq -r "$jq_us"' [.steps[] | select(.kind == "Checkpoint" and .finishedAt != null)] | first // empty | "\(.startedAt | us) \(.finishedAt | us)"' <<<"$1"; }

# Cold (or another strategy) of the state service through the portal; the service goes wherever it is not.
run_portal_state() {   # row strategy size run
  local row=$1 strategy=$2 size=$3 run=$4 name=bench-state-$3 out=$work/$1-$3-$4 src dst pid probe m state gap reconnects
  mkdir -p "$out"
  reset_service "$name"
  src=$(where "$name") dst=$(other "$src")
  if ! start_state "$src" "$size" "$(state_address "$size")" "$(state_port "$size")" "$out/service.out" "$name"; then
    record "$row" "$size" "$run" 0 "" "" "" "" "the service did not start on $src: $(tail -2 "$out/service.out")"; return 0
  fi
  pid=$state_pid
  start_in probe "$prefix-client" "$out/probe.out" "$bin/probeclient" "$(state_address "$size")" "$(state_port "$size")" $interval_ms 0
  if ! wait_for 20 "200 answers" at_least "$out/probe.out" '^ok' 200 >"$out/error"; then
    record "$row" "$size" "$run" 0 "" "" "" "" "$(cat "$out/error")"; stop_pid "$probe"; kill_quiet "$pid"; return 0
  fi
  m=$(migrate "$name" "$strategy" "$dst")
  echo "$m" >"$out/migration.json"
  note_migration "$name" "$m"
  state=$(jq -r .state <<<"$m")
  if [[ $state == Completed ]] && wait_for 30 "200 answers after the migration" at_least "$out/probe.out" '^ok' $(( $(lines "$out/probe.out" '^ok') + 200 )) >"$out/error"; then
    stop_pid "$probe"
    read -r gap reconnects < <(probe_gap "$out/probe.out")
    # A post-copy's degradation window: the PageIn step, as the engine timed it.
    local window p99=""
    window=$(jq -r '[.steps[] | select(.kind == "PageIn") | .measuredMs] | first // empty | floor' <<<"$m")
    if [[ -n $window ]]; then p99=$(probe_p99 "$out/probe.out" "$window"); fi
    record "$row" "$size" "$run" 1 "$gap" "$(span_of "$m")" "$(floor_of .plan.predictedDowntimeMs "$m")" "$(floor_of .plan.predictedMigrationTimeMs "$m")" \
      "$(jq -r .strategy <<<"$m") $src→$dst, engine downtime $(floor_of .measuredDowntimeMs "$m") ms, whole run $(floor_of .measuredMigrationTimeMs "$m") ms$( ((reconnects == 0)) || echo ", $reconnects reconnects")${window:+, degradation window $window ms, p99 latency in it $p99 ms}" "$(floor_of .measuredDowntimeMs "$m")" "$p99" "$window" "" "$(floor_of .measuredMigrationTimeMs "$m")"
  else
    stop_pid "$probe"
    record "$row" "$size" "$run" 0 "" "" "$(floor_of .plan.predictedDowntimeMs "$m")" "" "$state: $(jq -r '.failureReason // ""' <<<"$m" | head -c 400 | tr '\n' ' ') $(cat "$out/error" 2>/dev/null)"
  fi
  kill_quiet "$pid"
  reset_service "$name"
}

# MessageReplay (or the designer's choice) of the message service through the portal.
run_portal_msg() {   # row strategy size run [container]
  local row=$1 strategy=$2 size=$3 run=$4 name=bench-msg-$3 out=$work/$1-$3-$4 src dst pid="" probe m state before last gap missing twice ok=0 container=${5:-}
  if [[ -n $container ]]; then name=bench-msgc-$size; fi
  mkdir -p "$out"
  reset_service "$name"
  src=$(where "$name") dst=$(other "$src")
  local src_ip=$net.$((10 + ${src#"$prefix"-h})) dst_ip=$net.$((10 + ${dst#"$prefix"-h}))
  start_in probe "$prefix-client" "$out/probe.out" "$bin/msgprobe" "$net.2" 5672 "$name.in" "$name.q" "$name.reports" $interval_ms
  if ! wait_for 10 "the publisher" at_least "$out/probe.out" '^p ' 1 >"$out/error"; then
    record "$row" "$size" "$run" 0 "" "" "" "" "msgprobe: $(cat "$out/error" "$out/probe.out" | tail -3 | tr '\n' ' ')"; stop_pid "$probe"; return 0
  fi
  if [[ -n $container ]]; then
    # The message service as a Podman container of the services' tenant, which the agent finds by its labels.
    "$repo/lab.sh" msgcontainer "${src#"$prefix"-}" "$name" "$tenant_id" "$name.in" "$name.q" $((size * 1048576)) "$name.reports" $cost_us >"$out/service.out" 2>&1 || true
  else
    start_in pid "$src" "$out/service.out" "$bin/msgservice" "$net.2" 5672 guest guest "$name.in" "$name.q" $((size * 1048576)) "$name.reports" $cost_us
    disown "$pid"
  fi
  if ! wait_for 30 "300 messages applied on $src" at_least "$out/probe.out" "^r [0-9]* [0-9]* $src_ip a" 300 >"$out/error" \
     || { [[ -z $container ]] && ! agent PUT "$src" "criu/workloads/$name" -d "{\"pid\":$pid,\"tenant\":\"$tenant_id\"}" -o /dev/null -f; }; then
    record "$row" "$size" "$run" 0 "" "" "" "" "$(cat "$out/error" "$out/service.out" | tail -3 | tr '\n' ' ')"; stop_pid "$probe"; kill_quiet "$pid"; return 0
  fi
  before=$(grep '^p ' "$out/probe.out" | tail -1 | cut -d' ' -f2)
  m=$(migrate "$name" "$strategy" "$dst")
  echo "$m" >"$out/migration.json"
  note_migration "$name" "$m"
  state=$(jq -r .state <<<"$m")
  if [[ $state == Completed ]] && wait_for 30 "300 messages applied on $dst" at_least "$out/probe.out" "^r [0-9]* [0-9]* $dst_ip a" \
       $(( $(lines "$out/probe.out" "^r [0-9]* [0-9]* $dst_ip a") + 300 )) >"$out/error"; then
    kill -USR1 "$probe"
    if wait_for 10 "the publisher to stop" at_least "$out/probe.out" '^stopped' 1 >"$out/error"; then
      last=$(awk '/^stopped/ {print $2}' "$out/probe.out")
      if wait_for 30 "#$last applied" at_least "$out/probe.out" "^r $last [0-9]* [0-9.]* a" 1 >"$out/error"; then ok=1; fi
    fi
  fi
  stop_pid "$probe"
  if ((ok)); then
    # Downtime: the longest gap between the first applications of consecutive numbers from 'before' (published when the
    # migration was started) to 'last'. Exactly once: the copy applied consecutive numbers up to 'last', starting at or
    # before the one after the source's last (the copy re-applies what the source applied after the checkpoint: that is
    # the replay, not a duplicate), and neither instance applied a number twice.
    # Also: the hand-over (the source's last application to the copy's application of the next number), the longest gap
    # while the source alone applied (its freeze for the checkpoint: CRIU dumps a running process frozen, --leave-running
    # only resumes it afterwards) and the publisher's own longest gap in the window (a stall of the shared machine).
    local window_us; window_us=$(checkpoint_window "$m"); [[ -n $window_us ]] || window_us="0 9999999999999999"
    read -r longest handover frozen publisher verdict < <(awk -v from="$before" -v to="$last" -v src="$src_ip" -v dst="$dst_ip" -v ck0="${window_us% *}" -v ck1="${window_us#* }" '
      $1 == "p" && $2 >= from && $2 <= to { if (pt && $3 - pt > pmax) pmax = $3 - pt; pt = $3 }
      $1 == "r" && $5 == "a" { if (!($2 in first) || $3 < first[$2]) { first[$2] = $3; by[$2] = $4 }; if (++n[$4 " " $2] > 1) twice++
                               if ($4 == src) { tsrc[$2] = $3; if ($2 > srcmax) srcmax = $2 }
                               if ($4 == dst) { tdst[$2] = $3; if (!dstmin || $2 < dstmin) dstmin = $2; if ($2 > dstmax) dstmax = $2; dstn++ } }
      END { for (s = from; s < to; s++) if ((s in first) && ((s + 1) in first)) { g = first[s + 1] - first[s]; if (g > max) max = g
                                                                             if (by[s] == src && by[s + 1] == src && first[s + 1] > ck0 && first[s] < ck1 && g > fmax) fmax = g }
            once = twice == 0 && dstmax == to && dstn == dstmax - dstmin + 1 && dstmin <= srcmax + 1
            hand = ((srcmax in tsrc) && ((srcmax + 1) in tdst)) ? (tdst[srcmax + 1] - tsrc[srcmax]) / 1000 : -1
            printf "%.1f %.1f %.1f %.1f %s\n", max / 1000, hand, fmax / 1000, pmax / 1000, once ? "each-applied-once" : sprintf("NOT-exactly-once(copy:#%d..#%d,%d-applied;source-last:#%d;%d-twice)", dstmin, dstmax, dstn, srcmax, twice) }' "$out/probe.out")
    # Downtime: the time the client had no service, i.e. both intervals in which no instance applied its messages: the
    # source frozen for the live dump (its longest gap within the Checkpoint step) and the hand-over; the longest single
    # gap (the old measure, which saw only the larger of the two) is in the note.
    gap=$(awk -v f="$frozen" -v h="$handover" -v l="$longest" 'BEGIN { printf "%.1f", h < 0 ? l : f + h }')
    record "$row" "$size" "$run" 1 "$gap" "$(span_of "$m")" "$(floor_of .plan.predictedDowntimeMs "$m")" "$(floor_of .plan.predictedMigrationTimeMs "$m")" \
      "$(jq -r .strategy <<<"$m") $src→$dst, engine downtime $(floor_of .measuredDowntimeMs "$m") ms, frozen for the dump $frozen ms + hand-over $handover ms (longest single gap $longest ms), publisher's longest gap $publisher ms, whole run $(floor_of .measuredMigrationTimeMs "$m") ms, $last messages, ${verdict//-/ }" "$(floor_of .measuredDowntimeMs "$m")" "$handover" "$publisher" "$frozen" "$(floor_of .measuredMigrationTimeMs "$m")"
  else
    record "$row" "$size" "$run" 0 "" "" "$(floor_of .plan.predictedDowntimeMs "$m")" "" "$state: $(jq -r '.failureReason // ""' <<<"$m" | head -c 300 | tr '\n' ' ') $(cat "$out/error" 2>/dev/null)"
  fi
  # The source left at the clean-up (edgeportal.exit); after a failure it may still run.
  kill_quiet "$pid"
  reset_service "$name"
}

# -------------------------------------------------------------------------------------------------------------- the plan
declare -A designer=() designer_predicted=()
for size in $SIZES; do
  for kind in state msg; do
    # The designer plans on the agents' probe: until the portal has it (Podman's probe takes a while), ask again.
    for _ in $(seq 1 120); do
      plan=$(api POST "services/${service_id[bench-$kind-$size]}/plan" -d "{\"destinationNodeId\":\"${node_id[$h2]}\"}")
      jq -e '.rationale // "" | contains("not probed yet")' <<<"$plan" >/dev/null || break
      sleep 0.5
    done
    designer[$kind-$size]=$(jq -r '.plan.strategy // "none"' <<<"$plan")
    designer_predicted[$kind-$size]=$(jq -r '.plan.predictedDowntimeMs // 0 | floor' <<<"$plan")
    log "designer, bench-$kind-$size ($size MB, $kind service) on $h1 → $h2: ${designer[$kind-$size]}, predicted downtime ${designer_predicted[$kind-$size]} ms — $(jq -r '.rationale' <<<"$plan" | head -c 300)"
  done
done
cold_rows=()
for mode in ${cold_transfers:-Images}; do cold_rows+=("cold-ep-$mode"); done
rows=(cold-naive "${cold_rows[@]}")
if [[ $dirty_tracking == on ]]; then rows+=(precopy); fi
rows+=(postcopy replay)
if [[ $PODMAN == 1 ]]; then rows+=(replay-podman cutoff-podman); fi
for size in $SIZES; do
  case ${designer[msg-$size]} in MessageReplay|none) ;; *) rows+=("designer"); break ;; esac
done
# The row whose runs are the designer's choice for the state service (its own row when no other runs that strategy).
state_row() { case ${designer[state-$1]} in Cold) echo "${cold_rows[0]}" ;; PostCopy) echo postcopy ;; none) echo "" ;; IterativePreCopy) [[ $dirty_tracking == on ]] && echo precopy || echo designer-state ;; *) echo designer-state ;; esac; }
for size in $SIZES; do
  if [[ $(state_row "$size") == designer-state ]]; then rows+=("designer-state"); break; fi
done

# One ColdTransfer value per portal process: each run goes through the rows with the portal as it is, then restarts it
# with each other value for that value's cold rows (so the next run starts with another value: the order alternates).
current_mode=${cold_transfers%% *}
run_rows() {   # run, then the rows to run
  local run=$1 size row; shift
  for size in $SIZES; do
    for row in "$@"; do
      case $row in
        cold-naive) run_naive "$size" "$run" ;;
        cold-ep-*) run_portal_state "$row" Cold "$size" "$run" ;;
        precopy) run_portal_state precopy IterativePreCopy "$size" "$run" ;;
        postcopy) run_portal_state postcopy PostCopy "$size" "$run" ;;
        designer-state) if [[ $(state_row "$size") == designer-state ]]; then run_portal_state designer-state "" "$size" "$run"; fi ;;
        replay) run_portal_msg replay MessageReplay "$size" "$run" ;;
        replay-podman|cutoff-podman) if [[ " $(podman_sizes | tr '\n' ' ') " == *" $size "* ]]; then
            run_portal_msg "$row" "$([[ $row == replay-podman ]] && echo MessageReplay || echo ReplayWithCutoff)" "$size" "$run" container; fi ;;
        designer) if [[ ${designer[msg-$size]} != MessageReplay ]]; then run_portal_msg designer "" "$size" "$run"; fi ;;
      esac
    done
  done
}
for ((run = 1; run <= RUNS; run++)); do
  log "run $run of $RUNS"
  now_rows=()
  for row in "${rows[@]}"; do [[ $row == cold-ep-* && ${row#cold-ep-} != "${current_mode:-Images}" ]] || now_rows+=("$row"); done
  run_rows "$run" "${now_rows[@]}"
  ran_with=$current_mode
  for mode in $cold_transfers; do
    [[ $mode != "$ran_with" ]] || continue
    stop_portal; start_portal "$mode"; current_mode=$mode
    run_rows "$run" "cold-ep-$mode"
  done
done
stop_portal
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------------------------- table
# stats FIELD ROW SIZE → "median p90 n" over the successful runs (p90: nearest rank).
stats() {
  awk -F'\t' -v f="$1" -v row="$2" -v size="$3" '$1 == row && $2 == size && $4 == 1 && $f != "" { print $f }' "$results" | sort -g | awk '
    { v[NR] = $1 } END { if (NR == 0) { print "- - 0"; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; i = int(0.9 * NR); if (i < 0.9 * NR) i++
      printf "%.0f %.0f %d\n", m, v[i], NR }'
}
tried() { awk -F'\t' -v row="$1" -v size="$2" '$1 == row && $2 == size' "$results" | wc -l; }
label() {
  case $1 in
    cold-naive) echo "Cold, naive (dump to files, copy, restore)" ;;
    cold-ep-*) echo "Cold, EdgePortal (streamed, ${1#cold-ep-})" ;;
    precopy) echo "IterativePreCopy" ;;
    postcopy) echo "PostCopy (CRIU lazy pages)" ;;
    replay) echo "MessageReplay (MS2M)" ;;
    replay-podman) echo "MessageReplay (MS2M), Podman" ;;
    cutoff-podman) echo "ReplayWithCutoff, Podman" ;;
    designer) echo "designer's choice" ;;
  esac
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
row_error() {   # row size → the model's error on its medians, downtime / total
  [[ -n $1 ]] || { echo -; return; }
  local d t p q; read -r d _ _ < <(stats 5 "$1" "$2"); read -r t _ _ < <(stats 6 "$1" "$2"); read -r p _ _ < <(stats 7 "$1" "$2"); read -r q _ _ < <(stats 8 "$1" "$2")
  echo "$(error "$p" "$d") / $(error "$q" "$t")"
}
error() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == 0) print "-"; else printf "%+.0f%%", (a - b) / b * 100 }'; }   # predicted, measured

fmt='%-6s %-46s %6s  %17s  %15s  %17s  %20s  %15s  %9s\n'
{
  echo
  echo "EdgePortal migration lab: 2 lab hosts ($LAB_RATE tc tbf links), RUNS=$RUNS per row, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "environment: $(env_line); load average $load_start at the start, $load_end at the end"
  echo "calibration: $(grep -m1 '^Calibration of host class' "$work/calibrate.log" | sed 's/^Calibration of host class //'); $(grep -m1 '^Fit:' "$work/calibrate.log" | sed 's/^Fit: //'); T_add $(awk '$1 == "T_add" {print $2}' "$work/calibrate.log") ms (ColdTransfer Images)"
  echo "calibrated stages: $(awk '/^Stages of the other strategies/ {on = 1; next} on && /^  [TW]_/ {sub(/:.*/, ""); sub(/^ +/, ""); printf "%s%s", sep, $0; sep = "; "} on && /^$/ {on = 0}' "$work/calibrate.log")$(sed -n '/post-copy not measured/ {s/^ */; /p; q}' "$work/calibrate.log")"
  # shellcheck disable=SC2059
  printf "$fmt" size strategy ok "downtime med/p90" "engine downtime" "total med/p90" "predicted down/total" "error down/total" "down/cold"
  for size in $SIZES; do
    read -r cold_med _ _ < <(stats 5 cold-naive "$size")
    for row in "${rows[@]}"; do
      [[ $row != designer && $row != designer-state ]] || continue
      [[ $row != *-podman ]] || (( $(tried "$row" "$size") > 0 )) || continue
      prow=$row; [[ $row != cold-naive ]] || prow=${cold_rows[0]}
      read -r dmed dp90 n < <(stats 5 "$row" "$size")
      read -r tmed tp90 _ < <(stats 6 "$row" "$size")
      read -r emed _ _ < <(stats 10 "$row" "$size")
      read -r pred _ _ < <(stats 7 "$prow" "$size")
      read -r ptot _ _ < <(stats 8 "$prow" "$size")
      # shellcheck disable=SC2059
      printf "$fmt" "$size MB" "$(label "$row")" "$n/$(tried "$row" "$size")" "$dmed / $dp90 ms" "$([[ $emed == - ]] && echo - || echo "$emed ms")" "$tmed / $tp90 ms" "$pred / $ptot ms" \
        "$([[ $row == cold-naive ]] && echo "(Cold plan)" || echo "$(error "$pred" "$dmed") / $(error "$ptot" "$tmed")")" "$(ratio "$dmed" "$cold_med")"
      if [[ $row == "${cold_rows[0]}" && $dirty_tracking == off ]]; then
        printf '%-6s %-46s %s\n' "$size MB" "IterativePreCopy" "not supported on this host: dirty tracking off (CRIU mem_dirty_track)"
      fi
    done
    choice=${designer[msg-$size]}
    case $choice in MessageReplay) drow=replay ;; none) drow="" ;; *) drow=designer ;; esac
    if [[ -n $drow ]]; then read -r dmed dp90 n < <(stats 5 "$drow" "$size"); read -r emed _ _ < <(stats 10 "$drow" "$size"); read -r tmed tp90 _ < <(stats 6 "$drow" "$size"); else dmed=- dp90=- n=0 emed=- tmed=- tp90=-; fi
    # shellcheck disable=SC2059
    printf "$fmt" "$size MB" "designer's choice: $choice$([[ $drow == replay ]] && echo " (its runs)")" "$n/$([[ -n $drow ]] && tried "$drow" "$size" || echo 0)" "$dmed / $dp90 ms" "$emed ms" "$tmed / $tp90 ms" "${designer_predicted[msg-$size]} ms" "$(row_error "$drow" "$size")" "$(ratio "$dmed" "$cold_med")"
    srow=$(state_row "$size")
    if [[ -n $srow ]]; then read -r dmed dp90 n < <(stats 5 "$srow" "$size"); read -r emed _ _ < <(stats 10 "$srow" "$size"); read -r tmed tp90 _ < <(stats 6 "$srow" "$size"); else dmed=- dp90=- n=0 emed=- tmed=- tp90=-; fi
    # shellcheck disable=SC2059
    printf "$fmt" "$size MB" "designer's choice (state service): ${designer[state-$size]}$([[ -n $srow && $srow != designer-state ]] && echo " (its runs)")" "$n/$([[ -n $srow ]] && tried "$srow" "$size" || echo 0)" "$dmed / $dp90 ms" "$emed ms" "$tmed / $tp90 ms" "${designer_predicted[state-$size]} ms" "$(row_error "$srow" "$size")" "$(ratio "$dmed" "$cold_med")"
    read -r lmed lp90 ln < <(stats 11 postcopy "$size")
    read -r wmed _ _ < <(stats 12 postcopy "$size")
    echo "       $size MB PostCopy: degradation window (the engine's PageIn step) median $wmed ms; the client's p99 request latency in it, median / p90 over $ln runs: $lmed / $lp90 ms (one request every ${interval_ms} ms, each touching its state; 'V' requests read all of it)"
    read -r rmed _ _ < <(stats 5 replay "$size")
    read -r hmed hp90 _ < <(stats 11 replay "$size")
    read -r pmed pp90 _ < <(stats 12 replay "$size")
    read -r fmed fp90 _ < <(stats 13 replay "$size")
    echo "       $size MB MessageReplay, where its longest gap is (median / p90): the hand-over (source's last application to the copy's next) $hmed / $hp90 ms; the source alone, i.e. frozen for the checkpoint (downtime for the engine, CRIU's frozen time, and for the model, T_p) $fmed / $fp90 ms; the publisher's own longest gap $pmed / $pp90 ms"
    read -r epmed _ _ < <(stats 5 "${cold_rows[0]}" "$size")
    echo "       $size MB, ratios of median downtime: replay/cold $(ratio "$rmed" "$cold_med") (replay/EdgePortal cold $(ratio "$rmed" "$epmed")); designer-chosen/cold $(ratio "$dmed" "$cold_med") (the designer picks $choice for the message service, ${designer[state-$size]} for the state service); EdgePortal cold/naive cold $(ratio "$epmed" "$cold_med")"
  done
  for size in $( [[ $PODMAN != 1 ]] || podman_sizes); do
    read -r pd _ _ < <(stats 5 replay "$size"); read -r pt _ _ < <(stats 6 replay "$size")
    read -r cd _ _ < <(stats 5 replay-podman "$size"); read -r ct _ _ < <(stats 6 replay-podman "$size")
    echo "container overhead, $size MB MessageReplay (Podman − process, medians): downtime $cd − $pd ms ($(ratio "$cd" "$pd")×), total $ct − $pt ms ($(ratio "$ct" "$pt")×)"
  done
  [[ -n $cold_transfers ]] || echo "EdgePortal's cold path: the Images transfer only (this checkout has no EdgePortal:AgentEdge:Clusters:<c>:ColdTransfer option)."
  echo "downtime: what the client went without service. Cold and PostCopy: its longest gap (probeclient.c, one request every ${interval_ms} ms on one TCP connection). MessageReplay/ReplayWithCutoff: the two intervals in which no instance applied a message (one published every ${interval_ms} ms, ${cost_us} µs of work each), added: the source frozen for the live dump (its longest gap within the Checkpoint step) and the hand-over (the source's last application to the copy's next); the model adds the same two (T_f + drain + switch). engine downtime: the sum of the plan's downtime steps as the engine timed them (a live dump's step: the interval CRIU kept the source frozen). total: the migration time the model predicts (T_mig), from the dump's start to the service served from the destination (switched; PostCopy: its last page in) — naive: wall clock of the script from criu dump to the restored service announced; EdgePortal: the engine's steps from Checkpoint to the last before CleanUp (the whole run, Profile to CleanUp, is on the Cold line below). predicted: the plan's, from the model calibrated above (the naive row shows the Cold plan's); error: (predicted − measured)/measured of the medians. down/cold: median downtime over the naive cold's. p90: nearest rank."
  # Issue 18 item 5: EdgePortal's Cold against the naive script (same service, same lab, same runs), per size and transfer.
  for size in $SIZES; do
    read -r nd _ _ < <(stats 5 cold-naive "$size"); read -r nt _ _ < <(stats 6 cold-naive "$size")
    for row in "${cold_rows[@]}"; do
      read -r ed _ n < <(stats 5 "$row" "$size"); ((n > 0)) || continue
      read -r et _ _ < <(stats 6 "$row" "$size"); read -r ew _ _ < <(stats 14 "$row" "$size")
      echo "Cold orchestration, $size MB, $(label "$row") against naive: downtime $ed / $nd ms = $(ratio "$ed" "$nd")× (target ≤ 1.05×), total $et / $nt ms = $(ratio "$et" "$nt")× (target ≤ 1.2×); whole run with Profile and CleanUp $ew ms = $(ratio "$ew" "$nt")×"
    done
  done
  # The model against every planned row (the naive row is the papers' baseline, not a plan), and the engine's downtime
  # against the client's: relative errors of the medians.
  worst_model=-1 worst_model_row="" worst_engine=-1 worst_engine_row=""
  for size in $SIZES; do
    for row in "${rows[@]}"; do
      [[ $row != cold-naive ]] || continue
      read -r dmed _ n < <(stats 5 "$row" "$size"); ((n > 0)) || continue
      read -r tmed _ _ < <(stats 6 "$row" "$size"); read -r pred _ _ < <(stats 7 "$row" "$size"); read -r ptot _ _ < <(stats 8 "$row" "$size"); read -r emed _ _ < <(stats 10 "$row" "$size")
      for pair in "downtime $pred $dmed" "total $ptot $tmed" "engine $emed $dmed"; do
        read -r what a b <<<"$pair"
        [[ $a != - && $b != - && $b != 0 ]] || continue
        err=$(awk -v a="$a" -v b="$b" 'BEGIN { d = (a - b) / b * 100; printf "%.0f", d < 0 ? -d : d }')
        if [[ $what == engine ]]; then
          if ((err > worst_engine)); then worst_engine=$err worst_engine_row="$(label "$row") $size MB: engine $a ms, client $b ms"; fi
        elif ((err > worst_model)); then worst_model=$err worst_model_row="$(label "$row") $size MB $what: predicted $a ms, measured $b ms"; fi
      done
    done
  done
  echo "engine vs client downtime: worst $worst_engine% ($worst_engine_row)"
  echo "model error: worst $worst_model% ($worst_model_row)"
  failures=$(awk -F'\t' '$4 == 0' "$results" | wc -l)
  if ((failures > 0)); then
    echo "failed runs ($failures), not in the figures:"
    awk -F'\t' '$4 == 0 { printf "  %s %s MB #%s: %s\n", $1, $2, $3, $9 }' "$results"
  fi
}
