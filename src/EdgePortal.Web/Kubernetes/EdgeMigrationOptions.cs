using System.Text.RegularExpressions;
using EdgePortal.Runtime.Kubernetes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Kubernetes;

/// <summary>
/// The EdgeMigration controller (<c>EdgePortal:Kubernetes:EdgeMigrations</c>): off by default; when on, it watches the
/// EdgeMigration resources of the managed clusters it names (all configured ones when it names none).
/// </summary>
public sealed class EdgeMigrationOptions
{
    public const string Section = "EdgePortal:Kubernetes:EdgeMigrations";

    /// <summary>Whether the portal watches EdgeMigrations at all (the CRD must be installed: <c>deploy/base/crd-edgemigration.yaml</c>).</summary>
    public bool Enabled { get; set; }

    /// <summary>The clusters (keys of <c>EdgePortal:Kubernetes:Clusters</c>) whose EdgeMigrations are watched; empty: every one.</summary>
    public List<string> Clusters { get; init; } = [];

    /// <summary>
    /// The tenant each namespace's EdgeMigrations act for, by namespace: a tenant id, or <c>*</c> for the provider (any tenant's
    /// services). A namespace not listed acts for the tenant whose <c>TenantNamespaces</c> entry names it, when exactly one
    /// does; otherwise its resources are refused with the condition <c>NamespaceNotMapped</c>.
    /// </summary>
    public Dictionary<string, string> NamespaceTenants { get; init; } = new(StringComparer.Ordinal);

    /// <summary>How often every known resource is reconciled again even without a change (a missed event heals at the latest then).</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the API server keeps one watch open before the controller resumes it.</summary>
    public int WatchTimeoutSeconds { get; set; } = 60;

    /// <summary>The provider's mark in <see cref="NamespaceTenants"/>.</summary>
    public const string Provider = "*";
}

/// <summary>Every rule of <see cref="EdgeMigrationOptions"/>; a failure names the key.</summary>
public sealed partial class EdgeMigrationOptionsValidator(IOptions<KubernetesEdgeOptions> kubernetes) : IValidateOptions<EdgeMigrationOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeMigrationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
            return ValidateOptionsResult.Success;
        var failures = new List<string>();
        var key = EdgeMigrationOptions.Section;
        var clusters = kubernetes.Value.Clusters;
        if (clusters.Count == 0)
            failures.Add($"{key}:Enabled is true but no cluster is configured under {KubernetesEdgeOptions.Section}:Clusters.");
        foreach (var cluster in options.Clusters.Where(c => !clusters.ContainsKey(c)))
            failures.Add($"{key}:Clusters names '{cluster}', which is not configured under {KubernetesEdgeOptions.Section}:Clusters.");
        foreach (var (ns, tenant) in options.NamespaceTenants)
            if (!DnsLabel().IsMatch(ns) || (tenant != EdgeMigrationOptions.Provider && !Guid.TryParse(tenant, out _)))
                failures.Add($"{key}:NamespaceTenants:{ns} must map a namespace (a DNS label) to a tenant id or '*', got '{tenant}'.");
        if (options.ResyncInterval < TimeSpan.FromSeconds(1))
            failures.Add($"{key}:ResyncInterval must be at least 1 s, got {options.ResyncInterval}.");
        if (options.WatchTimeoutSeconds is < 1 or > 3600)
            failures.Add($"{key}:WatchTimeoutSeconds must lie in 1..3600, got {options.WatchTimeoutSeconds}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}

public static class EdgeMigrationHosting
{
    /// <summary>The EdgeMigration controller, when <c>EdgePortal:Kubernetes:EdgeMigrations:Enabled</c> is true.</summary>
    public static IServiceCollection AddEdgeMigrationResources(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(EdgeMigrationOptions.Section);
        if (!section.GetValue<bool>(nameof(EdgeMigrationOptions.Enabled)))
            return services;
        services.AddOptions<EdgeMigrationOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EdgeMigrationOptions>, EdgeMigrationOptionsValidator>());
        services.AddSingleton<EdgeMigrationReconciler>();
        services.AddSingleton<EdgeMigrationController>();
        services.AddHostedService(sp => sp.GetRequiredService<EdgeMigrationController>());
        return services;
    }
}
