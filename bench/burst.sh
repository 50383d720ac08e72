#!/usr/bin/env bash
# Issue 21 item 5: bursts on the simulated edge, planned independently (each alone on the whole path, as before issue 21)
# and jointly (one batch on the link reservation ledger). Scenarios: a drain of a node holding 20 services; 100 services
# following a crowd between three sites within a minute (the KPI monitor's evaluations every 10 s, one batch each); a
# nightly schedule of 500 services. Each runs through the real coordinator, engine and simulator (in-memory stores) on a
# clock ×20 faster than real time, and prints one line per scenario and planner:
#   <scenario> <independent|joint>: N% meet targets (downtime, migration time), makespan, completion error p50/p99
# A migration meets its targets when its measured downtime and its time from acceptance to completion are within its
# targets; the completion error is |predicted − measured| / measured of the time from acceptance to completion
# (the predicted start, i.e. queueing, included).
# Usage: bench/burst.sh [--scenario drain,crowd,nightly] [--speed 20] [--seed 21] [--noise 0.08] [--time-limit-ms 1000] [--verbose] [--no-hold] [--planner independent|joint|greedy|both|all]
# --planner: only one of the plannings (independent and joint by default; greedy: joint planning by the greedy heuristic
# alone, printed as joint-greedy; all: the three). Joint lines end with "planned by CP-SAT Optimal ×N, greedy (…) ×M": which
# planner decided each migration's batch (batches above EdgePortal:Planning:SolverMaxBatch, 40, go to the greedy). --no-hold: joint planning without EdgePortal:Engine:HoldUntilPredictedStart (printed as joint-unheld).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release bench/EdgePortal.BurstBench -nologo -v q
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
exec dotnet bench/EdgePortal.BurstBench/bin/Release/net10.0/EdgePortal.BurstBench.dll "$@"
