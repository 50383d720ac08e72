#!/usr/bin/env bash
# Issue 19, item 7: how the portal holds up as history grows for years. For LiteDB and for PostgreSQL, writes 10k, 100k
# and 1M finished migrations straight into a fresh store (bulk, over 300 days of the demo edge), starts the real portal
# (Release, its own process, 127.0.0.1) on it at each size, and prints the signed-in Overview's render time (the
# server renders it whole: GET /) and GET /api/v1/migrations?limit=50, median and p95 of 30 requests after warm-up.
# PostgreSQL is a throwaway server in a temp folder (Debian's postgresql: ./test.sh installs it), stopped at the end.
# Usage: bench/history.sh [--sizes 10000,100000,1000000] [--providers LiteDb,PostgreSql] [--requests 30]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release src/EdgePortal.Web -nologo -v q
dotnet build -c Release bench/EdgePortal.HistoryBench -nologo -v q
exec dotnet bench/EdgePortal.HistoryBench/bin/Release/net10.0/EdgePortal.HistoryBench.dll "$@"
