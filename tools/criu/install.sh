#!/usr/bin/env bash
# Installs CRIU 4.2.1 as /usr/local/sbin/criu, the way ../shared/docs/test-infrastructure.md verified it:
# Debian 12's criu 3.17 fails on this kernel ("vdso: Unexpected rt vDSO area bounds") and 4.1 cannot dump
# TCP sockets on kernels >= 6.16, so the upstream 4.2.1 tarball is fetched from Debian unstable's source
# package through a private apt state (the system's apt configuration and lists are left alone) and built
# against bookworm's -dev packages.
#
# Idempotent: nothing is built when /usr/local/sbin/criu already reports 4.2.x; a binary built before is kept
# in $CRIU_CACHE (by version) and reinstalled from there. Run as root. Every step is printed; a failing
# command stops the script and is named.
#
# The agent image's criu-build stage (../../Dockerfile) runs this same script, on the agent's base image, with
# CRIU_CHECK=0: a build container lacks the capabilities `criu check` needs (the image test runs it in the
# container instead). On a base that is not Debian (the .NET images are Ubuntu) the Debian archive keyring, which
# verifies the sid source package, is installed first.
set -Eeuo pipefail

version=4.2.1
cache=${CRIU_CACHE:-/var/cache/edgeportal/criu}
target=/usr/local/sbin/criu

trap 'rc=$?; echo "tools/criu/install.sh: FAILED (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit $rc' ERR
say() { echo "criu-install: $*"; }
run() { say "+ $*"; "$@"; }

[[ $(id -u) -eq 0 ]] || { echo "tools/criu/install.sh must run as root (it installs packages and /usr/local/sbin/criu)." >&2; exit 1; }

# Build dependencies (bookworm); their runtime libraries are what the binary links against, so they are
# needed even when the binary comes from the cache. nftables gives `nft`, used to delete the network lock
# table a dump leaves in the source namespace; iproute2 for the lab.
deps=(build-essential pkg-config libbsd-dev libcap-dev libgnutls28-dev libnet1-dev libnftables-dev libnl-3-dev
      libprotobuf-c-dev libprotobuf-dev protobuf-c-compiler protobuf-compiler uuid-dev nftables iproute2 util-linux)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -f $keyring ]] || deps+=(debian-archive-keyring)
missing=()
for p in "${deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing build dependencies: ${missing[*]}"
  run apt-get update -qq
  DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "build dependencies present"
fi

reports_42() { [[ -x $1 ]] && "$1" --version 2>/dev/null | grep -Eq '^Version: 4\.2(\.|$)'; }

if reports_42 "$target"; then
  say "$target already reports $("$target" --version | head -1); nothing to build"
  exit 0
fi

if reports_42 "$cache/$version/criu"; then
  say "reinstalling the cached build $cache/$version/criu"
  run install -m 0755 "$cache/$version/criu" "$target"
else
  work=$cache/src
  run mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$cache/$version"
  # The same mirror as the system's sources, one deb-src line for sid.
  mirror=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "deb-src [signed-by=$keyring] $mirror sid main" > "$work/sid-src.list"
  say "private apt state in $work: $(cat "$work/sid-src.list")"
  apt_private=(-o "Dir::Etc::sourcelist=$work/sid-src.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$work/lists"
               -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
  run apt-get "${apt_private[@]}" -qq update
  # Plain `source` fails: the Debian packaging tarball is missing from the mirror; --tar-only fetches the
  # upstream tarball, which is all the build needs.
  rm -rf "$work/fetch" && mkdir -p "$work/fetch"
  (cd "$work/fetch" && run apt-get "${apt_private[@]}" -qq source --tar-only criu)
  tarball=$(ls "$work/fetch"/criu_"$version"*.orig.tar.* 2>/dev/null | head -1 || true)
  [[ -n $tarball ]] || { echo "tools/criu/install.sh: sid no longer has criu $version (got: $(ls "$work/fetch"))" >&2; exit 1; }
  rm -rf "$work/build" && mkdir -p "$work/build"
  run tar -xf "$tarball" -C "$work/build" --strip-components=1
  started=$(date +%s)
  say "building (make criu -j2) in $work/build"
  run make -C "$work/build" -j2 criu >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; echo "tools/criu/install.sh: make failed, full log $work/build.log" >&2; exit 1; }
  say "built in $(( $(date +%s) - started )) s"
  run install -m 0755 "$work/build/criu/criu" "$cache/$version/criu"
  run install -m 0755 "$cache/$version/criu" "$target"
fi

reports_42 "$target" || { echo "tools/criu/install.sh: $target does not report 4.2.x: $("$target" --version 2>&1)" >&2; exit 1; }
say "installed: $("$target" --version | tr '\n' ' ')"
if [[ ${CRIU_CHECK:-1} == 0 ]]; then
  say "CRIU_CHECK=0: criu check skipped"
else
  run "$target" check
fi
