#!/usr/bin/env bash
# Build times and sizes of the two images (Dockerfile targets agent and portal) with this machine's Podman, on the
# stand-in .NET base images (tools/podman/dotnet-standins.sh). Three builds per target, from `git archive HEAD` (the
# committed tree, nothing else):
#   cold     --no-cache and an empty NuGet build cache: every layer, CRIU's build and every package download (a fresh CI
#            machine, except the stand-ins)
#   change   one line appended to the target's Program.cs: the publish layer and what follows it
#   cached   nothing changed: every layer from Podman's cache
# and the image size Podman reports. As root, under the lab lock (a build takes both cores):
#   flock /tmp/edgeportal-lab.lock bench/images.sh
set -Eeuo pipefail
trap 'rc=$?; echo "bench/images.sh: FAILED (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit $rc' ERR
[[ $(id -u) -eq 0 ]] || { echo "bench/images.sh must run as root (rootful Podman)." >&2; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tools/podman/containers.conf}
nuget_cache=/var/tmp/buildah-cache/edgeportal-nuget   # the Dockerfile's RUN --mount=type=cache,id=edgeportal-nuget
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
git -C "$repo" archive HEAD | tar -x -C "$context"

seconds() { local start=$1; echo $(( ($(date +%s%N) - start) / 1000000 )) | awk '{ printf "%.0f", $1 / 1000 }'; }

start=$(date +%s%N)
"$repo/tools/podman/dotnet-standins.sh" >/dev/null
standins=$(seconds "$start")

build() { # $1 target, $2 tag, then podman build options
  local target=$1 tag=$2; shift 2
  podman build --format docker --pull=never --layers "$@" --target "$target" --tag "$tag" "$context" >"$context/.build-$target.log" 2>&1 \
    || { tail -30 "$context/.build-$target.log" >&2; exit 1; }
}

declare -A program=([agent]=src/EdgePortal.Agent/Program.cs [portal]=src/EdgePortal.Web/Program.cs)
rows=()
for target in agent portal; do
  tag=localhost/edgeportal-bench-$target:latest
  rm -rf "$nuget_cache"
  start=$(date +%s%N); build "$target" "$tag" --no-cache; cold=$(seconds "$start")
  echo "// bench $(date +%s%N)" >> "$context/${program[$target]}"
  start=$(date +%s%N); build "$target" "$tag"; change=$(seconds "$start")
  start=$(date +%s%N); build "$target" "$tag"; cached=$(seconds "$start")
  size=$(podman image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%.0f", $1 / 1e6 }')
  base=$(podman image inspect --format '{{.Size}}' "$(awk -v t="$target" '$1 == "FROM" && $4 == t { print $2 }' "$context/Dockerfile")" | awk '{ printf "%.0f", $1 / 1e6 }')
  rows+=("| $target | $cold s | $change s | $cached s | $size MB ($base MB base) |")
  podman rmi "$tag" >/dev/null
done

echo "stand-in base images ready in $standins s (cached; the first time: mmdebstrap 2-3 min, sdk ~40 s, aspnet ~10 s)"
echo "| image | cold | one source change | unchanged | size |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
