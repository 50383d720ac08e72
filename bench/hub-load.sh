#!/usr/bin/env bash
# Issue 4's load target, measured: 1,000 simulated migrations in flight with 100 SignalR clients on /hubs/migrations.
# Builds the portal and the load generator in Release, writes a synthetic edge (10 tenants, 3 simulated clusters,
# 60 nodes, 1,000 small services) into a fresh LiteDB file, starts the portal on 127.0.0.1 with it (demo seed off,
# engine limits raised, simulator slowed so migrations overlap), connects the clients, starts the migrations through
# the REST API and prints event-delivery latency (step transition stamp → client receipt), peak in flight, portal RSS,
# ordering gaps and the machine's load average. Exit 0: every target met; 1: a target missed; 2: the run broke off.
# The portal is killed by PID at the end; the whole run is bounded (--time-limit-seconds, default 180).
# Issue 19's replicated run: --replicas 3 --clients 1000 starts three portals on a throwaway PostgreSQL and Redis
# (Debian's, as ./test.sh installs them) behind one address (a reverse proxy in the bench: round-robin, affinity cookie),
# and prints each replica's RSS and where the hub clients landed. --storage PostgreSql runs one portal on PostgreSQL, to
# compare with LiteDB (the default) on the same load.
# Usage: bench/hub-load.sh [--speed-factor 0.03] [--migrations 1000] [--clients 100] [--post-concurrency 4]
#                          [--replicas 1] [--storage LiteDb|PostgreSql]
#                          [--ramp-seconds 0] [--env NAME=VALUE] [--set Key=Value] [--keep] ...
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release src/EdgePortal.Web -nologo -v q
dotnet build -c Release bench/EdgePortal.LoadBench -nologo -v q
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
# 0.03: the simulated ~1.9 s of a small service's steps take ~60 s of real time, longer than starting 1,000 takes.
exec dotnet bench/EdgePortal.LoadBench/bin/Release/net10.0/EdgePortal.LoadBench.dll --speed-factor 0.03 "$@"
