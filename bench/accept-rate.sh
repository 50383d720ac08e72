#!/usr/bin/env bash
# Issue 21 item 6: how fast POST /api/v1/migrations is accepted as the edge grows. For each inventory size (default 1,000,
# 10,000 and 50,000 services on 3 simulated clusters of 20 nodes) it writes a fresh LiteDB edge, starts the portal with the
# simulator slowed 10⁵ times (no migration finishes during the run, so acceptance alone is measured, not the engine
# finishing migrations), starts one migration alone (the portal reads the edge once), then POSTs the same number (--migrations, default 301, less that one) 4 at a time and prints one line:
#   accept <services> services: <rate> accepted/s, p50 <ms> ms, p99 <ms> ms (...)
# Extra arguments go to every run (e.g. --storage PostgreSql, --post-concurrency 8). Exit 1 when a run missed a POST.
# Usage: bench/accept-rate.sh [--sizes "1000 10000 50000"] [--migrations 500] [hub-load options...]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
sizes="1000 10000 50000"
migrations=301
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --migrations) migrations="$2"; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done
dotnet build -c Release src/EdgePortal.Web -nologo -v q
dotnet build -c Release bench/EdgePortal.LoadBench -nologo -v q
echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
status=0
for size in $sizes; do
  dotnet bench/EdgePortal.LoadBench/bin/Release/net10.0/EdgePortal.LoadBench.dll --accept-only --services "$size" \
    --migrations "$migrations" --clients 10 --speed-factor 0.00001 --time-limit-seconds 600 \
    "${extra[@]}" | grep -E '^(accept|edge:|hub-load:)' || status=1
done
exit $status
