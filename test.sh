#!/usr/bin/env bash
# EdgePortal's whole test suite: installs what the tests need (as root), builds with zero warnings,
# runs every test project, and ends with one line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")"

# System packages the tests use, as Debian names them (iputils-arping: the agent announces a moved service address;
# socat: the agent hands CRIU its page-server connection; rabbitmq-server, librabbitmq-dev: the message-replay lab;
# chromium: the end-to-end tests drive Debian's browser, Playwright downloads none; npm: installs axe-core for them).
# Containers (tests/EdgePortal.Deployment.Tests, the lab's Podman workloads): podman with runc (Debian's crun is built
# without CRIU), buildah and skopeo, busybox-static for offline workload images, mmdebstrap for the stand-in .NET base
# images, systemd for `systemd-analyze verify` of deploy/hosts. Podman is configured by tools/podman/containers.conf,
# which the tests and lab.sh pass as CONTAINERS_CONF: /etc/containers is left as the machine has it.
# Replicas (tests/EdgePortal.ScaleOut.Tests, the PostgreSQL half of tests/EdgePortal.Storage.Tests): postgresql and
# redis-server. Installing starts neither here (no systemd); the tests start throwaway servers on free ports in temp
# folders and stop them (tests/EdgePortal.Testing.Hosts).
packages=(docker-registry iputils-arping socat chromium rabbitmq-server librabbitmq-dev
          podman runc buildah skopeo busybox-static mmdebstrap systemd postgresql redis-server)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "Installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Run ./test.sh as root once, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# Real checkpoint/restore (tests/EdgePortal.Agent.Tests/Criu): CRIU 4.2.1 built from Debian's source package and
# cached (tools/criu/install.sh; ~40 s the first time, nothing afterwards). Those tests need root and say so loudly.
if [[ $(id -u) -eq 0 ]]; then
  tools/criu/install.sh
else
  echo "Not root: CRIU is not installed and the CRIU lab tests will fail with the reason (run ./test.sh as root)." >&2
fi

# axe-core for the end-to-end accessibility checks, pinned by the committed package-lock.json (npm registry only).
npm ci --prefix tests/EdgePortal.EndToEnd.Tests/axe --no-audit --no-fund --loglevel=error >/dev/null

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is needed (dotnet not on PATH)." >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build EdgePortal.sln -c Release -nologo -v q -warnaserror

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# One test project at a time: the timing-sensitive tests (bandwidth limits, CRIU downtime) measure, and parallel
# projects on a 2-core machine would measure each other. -v q keeps MSBuild quiet; the console logger at "minimal" still
# prints every failed test with its message and stack trace (at "quiet" a CI failure would show only the test's name).
dotnet test EdgePortal.sln -c Release --no-build -nologo -v q -m:1 --logger "console;verbosity=minimal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# dotnet test prints one summary per test project; add them up into the one closing line.
awk '
  /(Passed|Failed)! +- Failed: / {
    for (i = 1; i <= NF; i++) {
      gsub(",", "", $(i + 1))
      if ($i == "Failed:") f += $(i + 1)
      if ($i == "Passed:") p += $(i + 1)
      if ($i == "Skipped:") s += $(i + 1)
    }
  }
  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }
' "$log"
exit "$status"
