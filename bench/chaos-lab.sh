#!/usr/bin/env bash
# Issue 15 item 4: chaos on the real CRIU lab, every kill point, in one table (kills × outcome × downtime).
#
#   sudo bench/chaos-lab.sh                      # Cold and MessageReplay, every kill point (~10-20 min on 2 shared cores)
#   sudo STRATEGIES=Cold bench/chaos-lab.sh      # one strategy
#
# It runs tests/EdgePortal.Runtime.Agent.Tests' CriuChaosTests with EDGEPORTAL_CHAOS_FULL=1 (the suite runs a subset):
# lab.sh up 2 with its agents as processes (LAB_RATE 40mbit: the 10 MB images take two seconds to cross, long enough to
# strike an agent while they do), RabbitMQ for MessageReplay, the real portal as a process on a LiteDB file, the state
# service (10 MB, 1000 dirty pages/s) with the probe client on one TCP connection for Cold, the message service (10 MB, one
# message every 2 ms) for MessageReplay. One migration per row: SIGKILL of the portal while step k runs (every step of the
# plan), or of the source or destination agent while the images cross the link; the killed process is started again at
# once (the portal on the same database, the agent by `lab.sh agent I`). Each row must end Completed or RolledBack with the
# service recorded once and running as one process; at the end of each strategy the client's every answer carries the
# model's checksum with consecutive counters, and the message service's state is that of applying every message once.
#
# Columns: the kill, what the portal's store showed at the kill, the outcome, the engine's measured downtime (0 when rolled
# back: the service never left), the longest gap the client saw (state service: between two answers; message service:
# between the first applications of consecutive numbers), whether the TCP connection was kept, and how long the restart of
# the killed process took. A failed check fails the run (exit 1) after the table of the rows that ran.
#
# Settings: STRATEGIES ("Cold MessageReplay"), KEEP=1 keeps the test log. Needs root, CRIU 4.2 at /usr/local/sbin/criu,
# rabbitmq-server, librabbitmq-dev, socat, gcc, dotnet (as ./test.sh installs them).
set -Eeuo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STRATEGIES=${STRATEGIES:-"Cold MessageReplay"}
die() { echo "chaos-lab: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, CRIU)."
[[ -x /usr/local/sbin/criu ]] || die "CRIU is not at /usr/local/sbin/criu: run tools/criu/install.sh."
filter=""
for s in $STRATEGIES; do
  [[ $s == Cold || $s == MessageReplay ]] || die "STRATEGIES holds Cold and/or MessageReplay, got '$s'."
  filter+="${filter:+|}FullyQualifiedName~CriuChaosTests.${s}_"
done
log=$(mktemp /tmp/chaos-lab.XXXXXX.log)

echo "chaos-lab: building (Release)" >&2
dotnet build "$repo/tests/EdgePortal.Runtime.Agent.Tests" -c Release -nologo -v q >"$log" 2>&1 || { cat "$log" >&2; die "build failed"; }
echo "chaos-lab: running $STRATEGIES, every kill point (log: $log)" >&2
rc=0
EDGEPORTAL_CHAOS_FULL=1 flock -o /tmp/edgeportal-lab.lock dotnet test "$repo/tests/EdgePortal.Runtime.Agent.Tests" -c Release --no-build \
  --filter "$filter" --logger "console;verbosity=detailed" >"$log" 2>&1 || rc=$?

echo
echo "Chaos on the real CRIU lab (2 hosts, 40 Mbit/s links, 10 MB services; CRIU $(/usr/local/sbin/criu --version | awk '/Version/ {print $2}'), $(nproc) cores)"
{
  echo "strategy|kill|store at the kill|outcome|engine downtime ms|client's longest gap ms|connection|restart ms"
  # xunit prints a test's output twice (live and in its summary): the summary's lines, once each, in order.
  grep -E '^ +chaos-row\|' "$log" | sed -E 's/^ +chaos-row\|//' | awk -F'|' '!seen[$0]++ { print $1"|"$2"|"$3"|"$4"|"$5"|"$6"|"$7"|"$8 }'
} | column -t -s'|'
echo
grep -E '^ +(client|messages): ' "$log" | sed -E 's/^ +//' | awk '!seen[$0]++' || true
if [[ $rc -ne 0 ]]; then
  echo
  grep -E -A6 'Error Message' "$log" | head -40 >&2
  echo "chaos-lab: a check failed (log kept: $log)" >&2
  exit 1
fi
grep -E '^(Passed!|Failed!|Total tests)' "$log" | head -3 || true
[[ ${KEEP:-0} == 1 ]] && echo "chaos-lab: log kept in $log" >&2 || rm -f "$log"
