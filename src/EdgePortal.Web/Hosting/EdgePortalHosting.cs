using EdgePortal.Core;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using EdgePortal.Web.Live;
using EdgePortal.Web.Replicas;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Runtime.Kubernetes;
using EdgePortal.Storage;
using EdgePortal.Web.Api;
using EdgePortal.Web.Auditing;
using EdgePortal.Web.Components;
using EdgePortal.Web.Inventory;
using EdgePortal.Web.Kubernetes;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Limits;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.SignalR;
using MudBlazor.Services;

namespace EdgePortal.Web.Hosting;

public static class EdgePortalHosting
{
    /// <summary>Everything the portal registers: storage, the embedded edge, the UI, the API and health.</summary>
    public static WebApplicationBuilder AddEdgePortal(this WebApplicationBuilder builder)
    {
        builder.UseBuildOutputStaticWebAssets();
        var services = builder.Services;
        services.AddEdgePortalCore(builder.Configuration);
        services.AddEdgePortalStorage(builder.Configuration);
        services.AddSimulatedEdge(builder.Configuration);
        services.AddEdgePortalAutomation(builder.Configuration);
        services.AddKubernetesEdge(builder.Configuration);
        services.AddEdgeMigrationResources(builder.Configuration);
        services.AddAgentEdge(builder.Configuration);
        services.AddEdgePortalSecurity(builder.Configuration);
        services.AddEdgePortalLimits(builder.Configuration);
        services.AddEdgePortalAudit(builder.Configuration);
        services.AddEdgePortalUseCases();
        services.AddEdgePortalDataProtection(builder.Configuration, builder.Environment.ContentRootPath);

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();

        // HubSessions ends connections whose principal lost its access: on the portal's hub only, for Blazor's circuits (SignalR
        // connections too) are sent to the sign-in form by their authentication state instead of being cut off.
        var signalR = services.AddSignalR().AddJsonProtocol(o => DomainJson.Configure(o.PayloadSerializerOptions))
            .AddHubOptions<MigrationHub>(o => o.AddFilter<HubSessions>());
        services.AddHostedService<MigrationHubForwarder>();

        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o => DomainJson.Configure(o.SerializerOptions));
        services.AddEdgePortalOpenApi();
        services.AddSingleton<InventoryReader>();
        services.AddSingleton<CapabilitiesReader>();

        services.AddOpenTelemetry().ConfigureResource(r => r.AddService("edgeportal")).WithMetrics(metrics => metrics
            .AddMeter(MigrationMetrics.MeterName)
            .AddPrometheusExporter())
            .WithTracing(tracing =>
            {
                // One trace per migration (MigrationTracing), with the HTTP calls its runtime makes (agents, the Kubernetes API).
                tracing.AddSource(MigrationTracing.SourceName).AddHttpClientInstrumentation();
                // Exported over OTLP when the standard variables name an endpoint (OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS, … apply).
                if (OtlpConfigured(builder.Configuration))
                    tracing.AddOtlpExporter();
            });

        var health = services.AddHealthChecks();
        services.AddEdgePortalReplicas(builder.Configuration, signalR, health, ReadyTag);
        health.AddCheck<RuntimesHealthCheck>("runtimes", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>Whether <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or its traces-only form) names a collector.</summary>
    private static bool OtlpConfigured(IConfiguration configuration)
        => !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
            || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);

    public static WebApplication UseEdgePortal(this WebApplication app)
    {
        app.UseEdgePortalRequestSecurity();
        app.UseExceptionHandler();
        // The API answers empty error responses with problem details; a browser gets the portal's own page.
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api") || c.Request.Path.StartsWithSegments("/hubs"),
            api => api.UseStatusCodePages());
        app.UseWhen(c => !c.Request.Path.StartsWithSegments("/api") && !c.Request.Path.StartsWithSegments("/hubs"),
            pages => pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        app.UseMiddleware<ApiBodyLimit>();
        // Routing after the status-code pages, so that a re-executed request is routed again.
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        app.MapStaticAssets();

        // Liveness runs no checks: the process answers, so it lives. Readiness checks what serving needs.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = HealthReport.WriteAsync }).AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        app.MapInventoryApi();
        app.MapMigrationsApi();
        app.MapBatchesApi();
        app.MapPlansApi();
        app.MapSchedulesApi();
        app.MapAuditApi();
        app.MapAdminApi();
        app.MapCalibrationsApi();
        app.MapAccountEndpoints();
        app.MapHub<MigrationHub>("/hubs/migrations").RequireAuthorization(PortalPolicies.Viewer);

        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var urls = string.Join(", ", app.Urls);
            app.Logger.LogInformation("EdgePortal is up: open {Urls}", urls);
        });
        return app;
    }

    private const string ReadyTag = "ready";
}
