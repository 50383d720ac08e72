#!/usr/bin/env bash
# A newcomer's first start, measured: clone this repository into a fresh folder, run the README's first command
# (`dotnet run --project src/EdgePortal.Web`), and time until the portal logs "EdgePortal is up" and until a signed-in
# GET / renders the Overview. Prints one line with both figures. Restore and build are part of it, as they are for a
# newcomer; the NuGet package cache is the machine's (a first ever run also downloads the packages).
#   bench/first-start.sh [runs]   (default 1; with more it prints each run and the median)
# The clone is of the committed HEAD: uncommitted changes are not measured.
set -euo pipefail
repo=${FIRST_START_REPO:-$(cd "$(dirname "$0")/.." && pwd)}   # FIRST_START_REPO: measure another clone source (a commit to compare)
runs=${1:-1}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

one_run() {
  local work dir log port pid start up overview jar token
  work=$(mktemp -d /tmp/edgeportal-first-start.XXXXXX)
  dir=$work/EdgePortal log=$work/portal.log jar=$work/cookies
  git -c advice.detachedHead=false clone -q "$repo" "$dir"
  # A newcomer's compiler server is cold: stop one a previous run (or other work) left warm.
  dotnet build-server shutdown >/dev/null 2>&1 || true
  : >"$log"
  port=$(free_port)
  start=$(date +%s.%N)
  # Its own process group, so that the portal dotnet run starts is stopped with it.
  (cd "$dir" && exec setsid dotnet run --project src/EdgePortal.Web -- --urls "http://127.0.0.1:$port") >"$log" 2>&1 &
  pid=$!
  # Stop the portal and delete the clone however the run ends, a failure included (one_run runs in $(…), a subshell).
  trap 'kill -- -'"$pid"' 2>/dev/null || true; wait '"$pid"' 2>/dev/null || true; rm -rf '"$work" EXIT
  until grep -q "EdgePortal is up" "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "the portal exited before it was up:" >&2; cat "$log" >&2; return 1; fi
    sleep 0.05
  done
  up=$(date +%s.%N)
  # The usable overview: sign in through the login form (antiforgery token and all) and read GET /.
  token=$(curl -sf -c "$jar" "http://127.0.0.1:$port/account/login" | grep -o 'name="__RequestVerificationToken" value="[^"]*"' | sed 's/.*value="//; s/"$//')
  curl -sf -b "$jar" -c "$jar" -o /dev/null --data-urlencode "__RequestVerificationToken=$token" \
       --data-urlencode userName=admin --data-urlencode password=admin-demo-1 --data-urlencode returnUrl=/ "http://127.0.0.1:$port/account/signin"
  curl -s -b "$jar" -o "$work/overview.html" "http://127.0.0.1:$port/"
  grep -q '<h1[^>]*>Overview</h1>' "$work/overview.html" \
    || { echo "GET / did not render the Overview (token ${#token} chars): $(grep -o '<title>[^<]*' "$work/overview.html")" >&2; tail -20 "$log" >&2; return 1; }
  overview=$(date +%s.%N)
  printf '%.1f %.1f\n' "$(echo "$up - $start" | bc)" "$(echo "$overview - $start" | bc)"
}

results=()
for ((i = 1; i <= runs; i++)); do
  r=$(one_run)
  results+=("$r")
  ((runs > 1)) && echo "run $i: up ${r% *} s, overview ${r#* } s"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
up=$(printf '%s\n' "${results[@]}" | cut -d' ' -f1 | median)
overview=$(printf '%s\n' "${results[@]}" | cut -d' ' -f2 | median)
echo "first start from a fresh clone: ${up} s to 'EdgePortal is up', ${overview} s to a signed-in Overview ($(nproc) cores, ${runs} run(s), median)"
