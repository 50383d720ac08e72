#!/usr/bin/env bash
# Makes stand-ins for the .NET base images the Dockerfile names (mcr.microsoft.com/dotnet/sdk:M.0 and
# mcr.microsoft.com/dotnet/aspnet:M.0, M = this machine's SDK major), in the local Podman storage, from what is on this
# machine: Debian bookworm (`mmdebstrap --variant=apt`, from the machine's own mirror), this machine's .NET SDK and
# runtimes (/usr/share/dotnet), and its CA bundle (/etc/ssl/certs/ca-certificates.crt; without it NuGet inside a build
# fails with UntrustedRoot). The registry they come from cannot be reached here; the images keep its names so that the
# Dockerfile builds unchanged (`podman build` finds them locally and pulls nothing).
#
# The machine's apt settings for reaching its mirror (its proxies, and date checks turned off for a mirror that is a dated
# snapshot, from `apt-config dump`) go into the images too (/etc/apt/apt.conf.d/99edgeportal-machine), so that apt-get
# inside a build reaches the mirror as the machine does.
#
# Like the real images: user `app` (UID 1654) and APP_UID, ASPNETCORE_HTTP_PORTS=8080, DOTNET_RUNNING_IN_CONTAINER=true,
# the SDK's environment; root is the default user. Unlike them: Debian 12 instead of Ubuntu 24.04 (the apt-get lines of
# the Dockerfile work on both).
#
# Cached: each image carries the label io.edgeportal.standin = a hash of this script, the SDK/runtime versions and the CA
# bundle; an image with the right label is kept, a stale one is rebuilt, and an image under those names WITHOUT the label
# (a real one, pulled elsewhere) is never touched. The Debian root file system is kept as
# localhost/edgeportal-standin-base:bookworm, so a new SDK does not run mmdebstrap again.
#
#   tools/podman/dotnet-standins.sh            as root; prints the two image names, one a line, on stdout
#
# Times here: mmdebstrap 40-120 s (network), each image 10-20 s; nothing when cached.
set -Eeuo pipefail
trap 'rc=$?; echo "dotnet-standins.sh: FAILED (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit $rc' ERR

say() { echo "dotnet-standins: $*" >&2; }
[[ $(id -u) -eq 0 ]] || { echo "dotnet-standins.sh must run as root (rootful Podman storage, mmdebstrap)." >&2; exit 1; }
for tool in podman buildah mmdebstrap dotnet; do
  command -v "$tool" >/dev/null || { echo "dotnet-standins.sh: $tool is missing (./test.sh installs podman buildah mmdebstrap)." >&2; exit 1; }
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
ca_bundle=/etc/ssl/certs/ca-certificates.crt
[[ -s $ca_bundle ]] || { echo "dotnet-standins.sh: $ca_bundle is missing (Debian package ca-certificates)." >&2; exit 1; }

sdk_version=$(dotnet --version)
major=${sdk_version%%.*}
runtime_version=$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | grep "^$major\." | sort -V | tail -1)
aspnet_version=$(ls "$dotnet_root/shared/Microsoft.AspNetCore.App" | grep "^$major\." | sort -V | tail -1)
[[ -n $runtime_version && -n $aspnet_version ]] || { echo "dotnet-standins.sh: no $major.x runtimes under $dotnet_root/shared" >&2; exit 1; }

mirror=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
# libicu72/libssl3/tzdata: what .NET loads (globalization, TLS, time zones); passwd: useradd for the app user.
base_includes=libicu72,libssl3,tzdata,passwd
base=localhost/edgeportal-standin-base:bookworm
base_key=$(echo "bookworm apt $base_includes" | sha256sum | cut -c1-16)
apt_conf=$(apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|(https?|ftp)::Proxy)' || true)
key=$( { cat "${BASH_SOURCE[0]}"; echo "$sdk_version $runtime_version $aspnet_version $base_key $apt_conf"; cat "$ca_bundle"; } | sha256sum | cut -c1-16)

label() { podman image inspect --format '{{ index .Labels "io.edgeportal.standin" }}' "$1" 2>/dev/null || true; }

if [[ $(label "$base") != "$base_key" ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  say "mmdebstrap --variant=apt bookworm from $mirror (40-120 s)"
  started=$(date +%s)
  mmdebstrap --quiet --variant=apt --include="$base_includes" bookworm "$work/rootfs.tar" "$mirror" >&2
  podman import --quiet --change "LABEL io.edgeportal.standin=$base_key" --change 'CMD ["/bin/bash"]' "$work/rootfs.tar" "$base" >/dev/null
  say "$base made in $(( $(date +%s) - started )) s"
fi

# $1 image name, $2 "sdk" or "aspnet"
make_image() {
  local name=$1 kind=$2 c
  if [[ $(label "$name") == "$key" ]]; then
    say "$name is current"
    return
  fi
  if podman image exists "$name" && [[ -z $(label "$name") ]]; then
    say "$name exists and is no stand-in (no io.edgeportal.standin label): left as it is"
    return
  fi
  local started old; started=$(date +%s)
  old=$(podman image inspect --format '{{.Id}}' "$name" 2>/dev/null || true)
  c=$(buildah from --quiet --pull=never "$base")
  buildah run "$c" -- sh -c 'groupadd --gid 1654 app && useradd --uid 1654 --gid app --no-create-home --home-dir /home/app --shell /bin/false app'
  buildah copy --quiet "$c" "$ca_bundle" /etc/ssl/certs/ca-certificates.crt >/dev/null
  if [[ -n $apt_conf ]]; then
    buildah run "$c" -- sh -c 'cat > /etc/apt/apt.conf.d/99edgeportal-machine' <<<"$apt_conf"
  fi
  if [[ $kind == sdk ]]; then
    buildah copy --quiet "$c" "$dotnet_root" /usr/share/dotnet >/dev/null
    buildah config --env DOTNET_SDK_VERSION="$sdk_version" --env DOTNET_GENERATE_ASPNET_CERTIFICATE=false \
      --env DOTNET_NOLOGO=true --env DOTNET_USE_POLLING_FILE_WATCHER=true --env NUGET_XMLDOC_MODE=skip "$c"
    # This machine reaches no certificate revocation servers (NuGet would fail its signature checks without this).
    [[ -n ${NUGET_CERT_REVOCATION_MODE:-} ]] && buildah config --env NUGET_CERT_REVOCATION_MODE="$NUGET_CERT_REVOCATION_MODE" "$c"
  else
    # A runtime image: the host (dotnet, host/fxr) and the two shared frameworks of this major version, no SDK.
    buildah run "$c" -- mkdir -p /usr/share/dotnet/shared/Microsoft.NETCore.App /usr/share/dotnet/shared/Microsoft.AspNetCore.App
    buildah copy --quiet "$c" "$dotnet_root/dotnet" /usr/share/dotnet/dotnet >/dev/null
    buildah copy --quiet "$c" "$dotnet_root/host" /usr/share/dotnet/host >/dev/null
    buildah copy --quiet "$c" "$dotnet_root/shared/Microsoft.NETCore.App/$runtime_version" "/usr/share/dotnet/shared/Microsoft.NETCore.App/$runtime_version" >/dev/null
    buildah copy --quiet "$c" "$dotnet_root/shared/Microsoft.AspNetCore.App/$aspnet_version" "/usr/share/dotnet/shared/Microsoft.AspNetCore.App/$aspnet_version" >/dev/null
  fi
  buildah run "$c" -- ln -sf /usr/share/dotnet/dotnet /usr/bin/dotnet
  buildah config --env APP_UID=1654 --env ASPNETCORE_HTTP_PORTS=8080 --env DOTNET_RUNNING_IN_CONTAINER=true \
    --env DOTNET_VERSION="$runtime_version" --env ASPNET_VERSION="$aspnet_version" \
    --label io.edgeportal.standin="$key" --label io.edgeportal.standin.source="this machine's .NET $sdk_version on Debian bookworm" "$c"
  buildah commit --quiet --rm "$c" "$name" >/dev/null
  # The stale stand-in, unless images built on it still need it.
  [[ -z $old ]] || podman rmi "$old" >/dev/null 2>&1 || true
  say "$name made in $(( $(date +%s) - started )) s ($(podman image inspect --format '{{.Size}}' "$name" | numfmt --to=iec) bytes)"
}

make_image "mcr.microsoft.com/dotnet/sdk:$major.0" sdk
make_image "mcr.microsoft.com/dotnet/aspnet:$major.0" aspnet
echo "mcr.microsoft.com/dotnet/sdk:$major.0"
echo "mcr.microsoft.com/dotnet/aspnet:$major.0"
