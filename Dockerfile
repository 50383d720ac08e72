# syntax=docker/dockerfile:1
# EdgePortal portal image. Build: docker build -t edgeportal .
# Run: docker run -p 8080:8080 -v edgeportal-data:/data -e EdgePortal__Security__AdminUser=admin -e EdgePortal__Security__AdminPassword=... edgeportal

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props EdgePortal.sln ./
COPY wwwroot/ wwwroot/
COPY src/ src/
RUN dotnet publish src/EdgePortal.Web/EdgePortal.Web.csproj -c Release -o /app/portal

# The edge agent (deploy/agent.yaml runs it as a privileged DaemonSet). Build: docker build --target agent -t edgeportal-agent .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS agent-build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/EdgePortal.Agent/ src/EdgePortal.Agent/
RUN dotnet publish src/EdgePortal.Agent/EdgePortal.Agent.csproj -c Release -o /app/agent

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS agent
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=agent-build /app/agent .
ENV ASPNETCORE_URLS=http://+:8471
EXPOSE 8471
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD curl -fsS http://127.0.0.1:8471/healthz || exit 1
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
