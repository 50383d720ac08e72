#!/usr/bin/env bash
# Issue 17, item 4: Cold migrations of the state service as a Podman container beside the same service as a bare process,
# on the lab (two hosts at 1 Gbit/s, an agent each), measured by a real client; and the naive Podman baseline.
#
#   sudo bench/podman-lab.sh                 # RUNS=5 of every row for 10 MB and 100 MB (~5 min on 2 shared cores)
#   sudo RUNS=2 SIZES=10 bench/podman-lab.sh # a quick check
#
# Rows, per state size (SIZES, MB), every run h1 → h2 with a fresh service:
#   Cold, process, agents   the state service as a bare process registered (with its tenant) on h1's agent, moved by the
#                           agents' calls the Agent runtime makes for Cold: POST /criu/dumps (releasing the service address),
#                           POST /criu/images/{id}/send at 1 Gbit/s to h2, the address added guarded on h2, POST
#                           /criu/images/{id}/restore, the address announced (unsolicited ARP).
#   Cold, Podman, agents    the same service as a container of the tenant (./lab.sh container), the same calls: the agents
#                           run podman container checkpoint --export --tcp-established / restore --import.
#   Cold, Podman, naive     podman container checkpoint --export on h1, the archive copied over the lab link (tar | socat),
#                           podman container restore --import on h2, the address moved by hand (no guard, no announcement:
#                           the client's ARP entry is flushed).
# Measured, per run: downtime = the longest gap between two answers the client (probeclient.c, one request every 2 ms on one
# TCP connection) saw; total = the wall clock from the first call to the service answering from h2 (announced). It prints
# the medians (min–max), and the container's overhead over the bare process (downtime and total, agents' rows).
# MessageReplay and ReplayWithCutoff of containers need the broker and the portal's steps, not agent calls a script can
# make: their rows are bench/migration-lab.sh's, beside its process rows (issue 17 item 4):
#   sudo PODMAN=1 SIZES="10 100" RUNS=3 bench/migration-lab.sh   # rows "MessageReplay (MS2M), Podman", "ReplayWithCutoff, Podman"
#
# Settings: RUNS (5), SIZES ("10 100"), LAB_PREFIX (eppbench), LAB_NET (10.240.0), LAB_AGENT_PORT (8770), LAB_RATE (1gbit), KEEP=1 keeps the
# work folder. Needs root, CRIU 4.2 (tools/criu/install.sh), podman, runc, busybox-static, socat, jq, gcc, dotnet; run it
# under the lab lock (flock /tmp/edgeportal-lab.lock) where other measurements run. Whatever happens, lab.sh down cleans up.
set -Eeuo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-5}
SIZES=${SIZES:-"10 100"}
export LAB_PREFIX=${LAB_PREFIX:-eppbench} LAB_NET=${LAB_NET:-10.240.0} LAB_AGENT_PORT=${LAB_AGENT_PORT:-8770} LAB_RATE=${LAB_RATE:-1gbit} LAB_PODMAN=1
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tools/podman/containers.conf}
prefix=$LAB_PREFIX net=$LAB_NET
criu=/usr/local/sbin/criu
tenant=0000000000000000000000000000be01
h1=$prefix-h1 h2=$prefix-h2 lib=/var/lib/$LAB_PREFIX

die() { echo "podman-lab: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, CRIU, Podman)."
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, got '$RUNS'."
[[ -x $criu ]] || die "CRIU is not at $criu: run tools/criu/install.sh."
for tool in jq socat gcc dotnet curl nsenter podman runc busybox; do command -v $tool >/dev/null || die "$tool is missing."; done

work=$(mktemp -d /tmp/podman-lab.XXXXXX)
declare -A started=()
cleanup() {
  local rc=$?
  set +e
  trap - ERR INT TERM
  for pid in "${!started[@]}"; do kill -9 "$pid" 2>/dev/null; done
  "$repo/lab.sh" down >"$work/lab-down.log" 2>&1 || { echo "podman-lab: lab.sh down failed:" >&2; cat "$work/lab-down.log" >&2; }
  if [[ ${KEEP:-0} == 1 ]]; then echo "podman-lab: logs kept in $work" >&2; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'echo "podman-lab: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
log() { echo "[$(date -u +%H:%M:%S)] $*"; }
start_in() { local var=$1 ns=$2 out=$3; shift 3; nsenter --net="/run/netns/$ns" -- "$@" </dev/null >"$out" 2>&1 & started[$!]=1; printf -v "$var" %s "$!"; }
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; unset "started[$1]"; }
wait_lines() { local file=$1 pattern=$2 count=$3; for _ in $(seq 1 600); do (( $(grep -c "$pattern" "$file" 2>/dev/null || true) >= count )) && return 0; sleep 0.05; done; return 1; }
probe_gap() { awk '/^ok/ { if (last) { g = $2 - last; if (g > max) max = g }; last = $2 } /^reconnect/ { r++ } END { printf "%.1f %d\n", max / 1000, r }' "$1"; }
lab_podman() { podman --root "$lib/podman/root" --runroot "$lib/podman/run" --tmpdir "$lib/podman/tmp" "$@"; }

log "building the probe client and the state service; lab up (2 hosts, agents driving the lab's Podman)"
mkdir -p "$work/bin"
gcc -O2 -Wall -Wextra -Werror -o "$work/bin/probeclient" "$repo/tests/EdgePortal.Testing.Lab/Criu/Workload/probeclient.c"
gcc -O2 -Wall -Wextra -Werror -o "$work/bin/stateservice" "$repo/tests/EdgePortal.Testing.Lab/Criu/Workload/stateservice.c"
"$repo/lab.sh" down >/dev/null 2>&1 || true
"$repo/lab.sh" up 2 >"$work/lab-up.log" 2>&1 || { cat "$work/lab-up.log" >&2; die "lab.sh up failed"; }
tls=/run/$prefix/tls
agent() { local method=$1 host=$2 path=$3; shift 3; curl -sS -f -X "$method" --cacert "$tls/ca.crt" --cert "$tls/portal.crt" --key "$tls/portal.key" \
  -H 'Content-Type: application/json' "$@" "https://127.0.0.1:$((LAB_AGENT_PORT + ${host#h}))/$path"; }

results=$work/results.tsv
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$results"; log "  $1 $2 MB #$3: $([[ $4 == 1 ]] && echo "downtime $5 ms, total $6 ms" || echo "FAILED: $6")"; }

# One run: the service (process or container) on h1 behind its own address, the client, the move, the measurement.
run() {   # row size run
  local row=$1 size=$2 n=$3 name="b$2x$3" out=$work/$1-$2-$3 address port probe pid t0 t1 gap reconnects id="" ok=1
  address=$net.$((100 + n % 100)) port=$((7100 + n))
  mkdir -p "$out"
  ip -n "$h2" addr del "$address/24" dev eth0 2>/dev/null || true
  ip -n "$h1" addr replace "$address/24" dev eth0
  ip -n "$prefix-client" neigh del "$address" dev eth0 2>/dev/null || true
  if [[ $row == process ]]; then
    start_in pid "$h1" "$out/service.out" "$work/bin/stateservice" "$port" $((size * 1048576)) 1000
    disown "$pid"; wait_lines "$out/service.out" '^listening' 1
    agent PUT h1 "criu/workloads/$name" -d "{\"pid\":$pid,\"tenant\":\"$tenant\"}" -o /dev/null
  else
    "$repo/lab.sh" container h1 "$name" "$tenant" "$port" $((size * 1048576)) 1000 >"$out/service.out"
  fi
  start_in probe "$prefix-client" "$out/probe.out" "$work/bin/probeclient" "$address" "$port" 2 0
  wait_lines "$out/probe.out" '^ok' 200 || { record "$row" "$size" "$n" 0 "" "the client got no answers"; stop_pid "$probe"; return 0; }
  t0=$(now_ms)
  if [[ $row == naive ]]; then
    local archive1=$lib/naive/h1-$name.tar dir2=$lib/naive/h2-$name receiver
    mkdir -p "$lib/naive" "$dir2"
    start_in receiver "$h2" "$out/receive.out" sh -c "socat -u TCP-LISTEN:9000,bind=$net.12,reuseaddr STDOUT | tar -x -C '$dir2'"
    for _ in $(seq 1 100); do nsenter --net="/run/netns/$h2" -- ss -ltn | grep -q ':9000 ' && break; sleep 0.05; done
    { nsenter --net="/run/netns/$h1" -- env PATH=/usr/local/sbin:$PATH CONTAINERS_CONF="$CONTAINERS_CONF" podman --root "$lib/podman/root" --runroot "$lib/podman/run" --tmpdir "$lib/podman/tmp" \
        container checkpoint "$name.$tenant" --export="$archive1" --compress=none --tcp-established >"$out/checkpoint.out" 2>&1 \
      && lab_podman rm -f "$name.$tenant" >/dev/null \
      && ip -n "$h1" addr del "$address/24" dev eth0 \
      && tar -C "$lib/naive" -cf - "h1-$name.tar" | nsenter --net="/run/netns/$h1" -- socat -u STDIN "TCP:$net.12:9000" \
      && wait "$receiver" \
      && ip -n "$h2" addr add "$address/24" dev eth0 \
      && nsenter --net="/run/netns/$h2" -- env PATH=/usr/local/sbin:$PATH CONTAINERS_CONF="$CONTAINERS_CONF" podman --root "$lib/podman/root" --runroot "$lib/podman/run" --tmpdir "$lib/podman/tmp" \
        container restore --import="$dir2/h1-$name.tar" --tcp-established >"$out/restore.out" 2>&1 \
      && ip -n "$prefix-client" neigh flush dev eth0; } || ok=0
    unset "started[$receiver]"
    rm -rf "$archive1" "$dir2"
  else
    id=$name-$n
    { agent POST h1 criu/dumps -d "{\"id\":\"$id\",\"workload\":\"$name\",\"tenant\":\"$tenant\",\"releaseAddress\":\"$address/24\"}" >"$out/dump.json" \
      && agent POST h1 "criu/images/$id/send" -d "{\"peer\":\"$h2\",\"bandwidthBitsPerSecond\":1000000000}" >"$out/send.json" \
      && agent POST h2 net/addresses/add -d "{\"address\":\"$address/24\",\"guard\":true}" -o /dev/null \
      && agent POST h2 "criu/images/$id/restore" -d "{\"workload\":\"$name\",\"tenant\":\"$tenant\"}" >"$out/restore.json" \
      && agent POST h2 net/addresses/announce -d "{\"address\":\"$address/24\"}" -o /dev/null; } || ok=0
  fi
  t1=$(now_ms)
  if ((ok)) && wait_lines "$out/probe.out" '^ok' $(( $(grep -c '^ok' "$out/probe.out") + 200 )); then
    read -r gap reconnects < <(probe_gap "$out/probe.out")
    if ((reconnects == 0)); then record "$row" "$size" "$n" 1 "$gap" $((t1 - t0)); else record "$row" "$size" "$n" 0 "" "$reconnects reconnects"; fi
  else
    record "$row" "$size" "$n" 0 "" "the move failed: $(tail -c 300 "$out"/*.json "$out"/*.out 2>/dev/null | tr '\n' ' ')"
  fi
  stop_pid "$probe"
  if [[ $row == process ]]; then agent DELETE h2 "criu/restored/$id" -o /dev/null 2>/dev/null || true; agent DELETE h2 "criu/workloads/$name?tenant=$tenant" -o /dev/null 2>/dev/null || true
  else lab_podman rm -f "$name.$tenant" >/dev/null 2>&1 || true; fi
  if [[ -n $id ]]; then agent DELETE h1 "criu/images/$id" -o /dev/null 2>/dev/null || true; agent DELETE h2 "criu/images/$id" -o /dev/null 2>/dev/null || true; fi
  ip -n "$h2" addr del "$address/24" dev eth0 2>/dev/null || true
}

rows=(process podman naive)
for ((i = 1; i <= RUNS; i++)); do
  for size in $SIZES; do
    for row in "${rows[@]}"; do run "$row" "$size" "$i"; done
  done
done

# Medians (min–max) per row and size, and the container's overhead over the bare process.
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit } m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.0f (%.0f–%.0f)", m, a[1], a[NR] }'; }
stat() { awk -F'\t' -v r="$1" -v s="$2" -v c="$3" '$1 == r && $2 == s && $4 == 1 { print $c }' "$results" | median; }
middle() { awk -F'\t' -v r="$1" -v s="$2" -v c="$3" '$1 == r && $2 == s && $4 == 1 { print $c }' "$results" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
echo "Cold migrations h1 → h2 at $LAB_RATE, $RUNS runs each, medians (min–max) in ms; $(uname -r), CRIU $($criu --version | awk '/Version/ {print $2}'), Podman $(podman --version | awk '{print $3}') with $(runc --version | head -1)"
printf '| %-26s | %4s | %-22s | %-22s | %s |\n' "row" "MB" "downtime" "total" "ok"
printf '|%s|%s|%s|%s|%s|\n' "----------------------------" "------" "------------------------" "------------------------" "----"
for size in $SIZES; do
  for row in "${rows[@]}"; do
    label=$(case $row in process) echo "Cold, process, agents" ;; podman) echo "Cold, Podman, agents" ;; naive) echo "Cold, Podman, naive" ;; esac)
    printf '| %-26s | %4s | %-22s | %-22s | %s/%s |\n' "$label" "$size" "$(stat "$row" "$size" 5)" "$(stat "$row" "$size" 6)" \
      "$(awk -F'\t' -v r="$row" -v s="$size" '$1 == r && $2 == s && $4 == 1' "$results" | wc -l)" "$RUNS"
  done
done
for size in $SIZES; do
  echo "container overhead at $size MB (Podman, agents − process, agents; medians): downtime +$(awk -v a="$(middle podman "$size" 5)" -v b="$(middle process "$size" 5)" 'BEGIN { printf "%.0f ms (×%.1f)", a - b, (b > 0 ? a / b : 0) }'), total +$(awk -v a="$(middle podman "$size" 6)" -v b="$(middle process "$size" 6)" 'BEGIN { printf "%.0f ms (×%.1f)", a - b, (b > 0 ? a / b : 0) }')"
done
