#!/usr/bin/env bash
# Runs the planning benchmarks in Release with BenchmarkDotNet's short job and prints one summary table (mean, allocated).
# Usage: bench/run.sh [extra BenchmarkDotNet arguments, e.g. --filter '*Pam*']
set -euo pipefail
cd "$(dirname "$0")/EdgePortal.Benchmarks"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
filter=('--filter' '*')
for arg in "$@"; do [[ $arg == --filter ]] && filter=(); done
dotnet run -c Release -- "${filter[@]}" --job short --join --artifacts ../BenchmarkDotNet.Artifacts "$@"
