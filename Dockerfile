# syntax=docker/dockerfile:1
# EdgePortal's two images (podman build or docker build; both read this file unchanged):
#   portal: podman build --format docker -t edgeportal .                        run: podman run -p 8080:8080 -v edgeportal-data:/data \
#           -e EdgePortal__Security__AdminUser=admin -e EdgePortal__Security__AdminPassword=... edgeportal   (no known password: see ENV below)
#   agent:  podman build --format docker --target agent -t edgeportal-agent .   run: deploy/hosts/ (plain hosts) or deploy/agent.yaml
# --format docker keeps the HEALTHCHECKs (Podman's default OCI format has no place for them and drops them).
# The NuGet packages are kept in a build cache (RUN --mount=type=cache) between builds of either image.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props EdgePortal.sln ./
COPY wwwroot/ wwwroot/
COPY src/ src/
RUN --mount=type=cache,id=edgeportal-nuget,target=/root/.nuget/packages \
    dotnet publish src/EdgePortal.Web/EdgePortal.Web.csproj -c Release -o /app/portal

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS agent-build
WORKDIR /src
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY src/ src/
RUN --mount=type=cache,id=edgeportal-nuget,target=/root/.nuget/packages \
    dotnet publish src/EdgePortal.Agent/EdgePortal.Agent.csproj -c Release -o /app/agent

# CRIU 4.2.1 built by the same script as on the lab's hosts (tools/criu/install.sh: Debian's source package, ~1 min),
# on the agent's own base image so that the binary and the libraries it links against come from one distribution. The
# packages holding those libraries are listed for the agent stage, which installs them and nothing of the toolchain.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS criu-build
COPY tools/criu/install.sh /usr/local/src/criu-install.sh
RUN CRIU_CHECK=0 CRIU_CACHE=/var/cache/criu /usr/local/src/criu-install.sh \
    && ldd /usr/local/sbin/criu | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' \
       | xargs -n1 basename | sed 's|^|*/|' | xargs dpkg-query -S | cut -d: -f1 | grep -v -- '-dev$' | sort -u \
       > /usr/local/src/criu-runtime-packages \
    && echo "criu links against: $(tr '\n' ' ' < /usr/local/src/criu-runtime-packages)"

# The edge agent: everything it runs is in the image. criu (4.2.1, /usr/local/sbin/criu, EdgePortal:Agent:CriuPath's
# default), nsenter (util-linux), ip (iproute2), nft (nftables), arping (iputils-arping), socat, curl for the health
# check. No Podman: on Podman hosts the agent drives the HOST's Podman through its API socket, mounted at
# /run/podman/podman.sock (deploy/hosts/). It runs as root with named capabilities, never privileged (deploy/hosts/).
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS agent
COPY --from=criu-build /usr/local/src/criu-runtime-packages /usr/local/share/edgeportal/criu-runtime-packages
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl util-linux iproute2 nftables iputils-arping socat \
       $(cat /usr/local/share/edgeportal/criu-runtime-packages) \
    && rm -rf /var/lib/apt/lists/*
COPY --from=criu-build /usr/local/sbin/criu /usr/local/sbin/criu
WORKDIR /app
COPY --from=agent-build /app/agent .
ENV ASPNETCORE_URLS=https://+:8471
EXPOSE 8471
# Mutual TLS only: the check presents the agent's own certificate (/healthz answers any certificate of the callers' CA).
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD curl -fsSk --cert "$EdgePortal__Agent__Tls__CertificateFile" --key "$EdgePortal__Agent__Tls__KeyFile" https://127.0.0.1:8471/healthz || exit 1
ENTRYPOINT ["dotnet", "EdgePortal.Agent.dll"]

# The portal stays the last stage, so a plain `docker build .` builds it.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS portal
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data && chown app:app /data
WORKDIR /app
COPY --from=build /app/portal .
# Production: no demo users and no known password. The first admin comes from the environment on the first start, e.g.
#   docker run -e EdgePortal__Security__AdminUser=admin -e EdgePortal__Security__AdminPassword="$(openssl rand -base64 24)" ...
# or -e EdgePortal__Security__BootstrapApiKey="$(openssl rand -hex 32)" for a provider-admin API key.
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_URLS=http://+:8080 \
    EdgePortal__Storage__Path=/data/edgeportal.db \
    EdgePortal__Seed__DemoUsers=false
VOLUME /data
EXPOSE 8080
USER app
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["dotnet", "EdgePortal.Web.dll"]
