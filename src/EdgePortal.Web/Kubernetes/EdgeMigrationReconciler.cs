using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes;
using EdgePortal.Runtime.Kubernetes.EdgeMigrations;
using EdgePortal.Web.Api;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases;
using EdgePortal.Web.UseCases.Migrations;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Kubernetes;

/// <summary>
/// One step towards what an EdgeMigration declares: the finalizer, the start (once: under a lock across replicas, after
/// looking for a migration this resource already started), the status, the cancel on deletion, the finalizer's removal.
/// Each call does at most one write and returns the resource as the API server answered it (null: nothing written).
/// </summary>
public sealed class EdgeMigrationReconciler(StartMigration start, CancelMigration cancel, IInventoryRepository inventory,
    IMigrationRepository migrations, IReplicaLock replicaLock, IOptions<EdgeMigrationOptions> options, TimeProvider clock)
{
    /// <summary>Who a resource's migration is requested by: the cluster, namespace and name, and the uid that makes it unique.</summary>
    public static string RequesterOf(string cluster, EdgeMigration resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return $"kubernetes:{cluster}/{resource.Namespace()}/{resource.Name()}#{resource.Uid()}";
    }

    public async Task<EdgeMigration?> ReconcileAsync(KubernetesCluster cluster, EdgeMigration resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(resource);
        var status = resource.Status;
        var migration = Guid.TryParse(status?.MigrationId, out var id) ? migrations.Find(MigrationId.From(id)) : null;
        var deleting = resource.Metadata.DeletionTimestamp is not null;

        if (migration is null && status?.MigrationId is null && (!deleting || HasFinalizer(resource)))
        {
            // Not started yet, as far as this copy says. A resource being deleted is looked up too: another replica may
            // have started its migration a moment ago.
            if (!deleting && status?.Phase == EdgeMigrationStatuses.Refused && status.ObservedGeneration == resource.Generation())
                return HasFinalizer(resource) ? await FinalizerAsync(cluster, resource, add: false, cancellationToken).ConfigureAwait(false) : null;
            if (!deleting && !HasFinalizer(resource))
                return await FinalizerAsync(cluster, resource, add: true, cancellationToken).ConfigureAwait(false);
            return await StartAsync(cluster, resource, deleting, cancellationToken).ConfigureAwait(false);
        }

        if (migration is not null && deleting && !migration.IsTerminal)
        {
            // Deleted while it runs: cancel it (once) and keep the finalizer until the rollback has ended.
            var note = migration.CancelRequested ? "Cancel requested: rolling back." : Cancel(cluster, resource, migration);
            var wanted = EdgeMigrationStatuses.Of(resource, migrations.Find(migration.Id) ?? migration, cluster.Name, inventory, clock.GetUtcNow(), note);
            return EdgeMigrationStatuses.Same(wanted, status) ? null : await WriteStatusAsync(cluster, resource, wanted, cancellationToken).ConfigureAwait(false);
        }

        if (migration is not null)
        {
            var wanted = EdgeMigrationStatuses.Of(resource, migration, cluster.Name, inventory, clock.GetUtcNow(),
                status?.Conditions?.FirstOrDefault(c => c.Type == EdgeMigrationStatuses.Deleting)?.Message);
            if (!EdgeMigrationStatuses.Same(wanted, status))
                return await WriteStatusAsync(cluster, resource, wanted, cancellationToken).ConfigureAwait(false);
        }
        // History is consistent: the status holds the migration's end (or its id is gone from history, or it never started).
        return HasFinalizer(resource) && (migration is null || migration.IsTerminal)
            ? await FinalizerAsync(cluster, resource, add: false, cancellationToken).ConfigureAwait(false)
            : null;
    }

    private string Cancel(KubernetesCluster cluster, EdgeMigration resource, Migration migration)
    {
        var scope = ScopeOf(cluster, resource, out _) ?? new TenantScope(migration.TenantId, RequesterOf(cluster.Name, resource));
        return cancel.Run(scope, migration.Id) switch
        {
            UseCaseResult<CancelledMigration>.Done d => $"The resource was deleted: migration {migration.Id} cancelled ({d.Value.Outcome}).",
            UseCaseResult<CancelledMigration>.Conflict c => $"The resource was deleted, but the migration cannot be cancelled: {c.Detail}",
            UseCaseResult<CancelledMigration>.NotFound n => n.Detail,
            var other => other.ToString() ?? "",
        };
    }

    private async Task<EdgeMigration?> StartAsync(KubernetesCluster cluster, EdgeMigration resource, bool deleting, CancellationToken cancellationToken)
    {
        var requester = RequesterOf(cluster.Name, resource);
        // One replica at a time for this resource: the others find the migration it started below, or in the status.
        using var held = replicaLock.Acquire($"edgemigration:{resource.Uid()}", TimeSpan.FromSeconds(30));
        var fresh = await Reread(cluster, resource, cancellationToken).ConfigureAwait(false);
        if (fresh is null || fresh.Status?.MigrationId is not null)
            return fresh;
        var now = clock.GetUtcNow();

        var scope = ScopeOf(cluster, fresh, out var unmapped) is { } mapped ? mapped with { Actor = requester } : null;
        var (request, invalid) = scope is null ? (null, null) : Request(fresh, scope);
        // Started before (a write of the status that was lost, a restart, another replica): the same migration, never a second.
        var started = request is null ? null
            : migrations.List(new MigrationQuery(Service: request.ServiceId, Limit: 50)).FirstOrDefault(m => m.RequestedBy == requester);
        if (started is null && deleting)
            return await FinalizerAsync(cluster, fresh, add: false, cancellationToken).ConfigureAwait(false);
        if (scope is null || request is null)
        {
            var refused = scope is null
                ? EdgeMigrationStatuses.NotStarted(fresh, cluster.Name, final: true, "NamespaceNotMapped", unmapped!, now)
                : EdgeMigrationStatuses.NotStarted(fresh, cluster.Name, final: true, invalid!.Value.Reason, invalid.Value.Message, now);
            return EdgeMigrationStatuses.Same(refused, fresh.Status) ? null : await WriteStatusAsync(cluster, fresh, refused, cancellationToken).ConfigureAwait(false);
        }
        var status = (started is not null ? null : start.Run(scope, request)) switch
        {
            null => EdgeMigrationStatuses.Of(fresh, started!, cluster.Name, inventory, now),
            MigrationRequestResult.Accepted a => EdgeMigrationStatuses.Of(fresh, a.Migration, cluster.Name, inventory, now),
            MigrationRequestResult.NotFound n => EdgeMigrationStatuses.NotStarted(fresh, cluster.Name, final: true, "ServiceNotFound", $"spec.service: {n.Detail}", now),
            MigrationRequestResult.Infeasible i => EdgeMigrationStatuses.NotStarted(fresh, cluster.Name, final: true, "Infeasible", i.Detail, now),
            MigrationRequestResult.Conflict c => EdgeMigrationStatuses.NotStarted(fresh, cluster.Name, final: false, "AlreadyMigrating", $"{c.Detail} Tried again every {options.Value.ResyncInterval.TotalSeconds:0} s.", now),
            MigrationRequestResult.QuotaExceeded q => EdgeMigrationStatuses.NotStarted(fresh, cluster.Name, final: false, "QuotaExceeded", $"{q.Detail} Tried again every {options.Value.ResyncInterval.TotalSeconds:0} s.", now),
            var other => throw new InvalidOperationException($"Unexpected start result {other.GetType().Name}."),
        };
        if (EdgeMigrationStatuses.Same(status, fresh.Status))
            return null;
        return await WriteStatusAsync(cluster, fresh, status, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The request the resource declares, validated as <c>POST /api/v1/migrations</c> validates its body (the same messages,
    /// each field named by its path in the resource), or the reason and message of the first problem.
    /// </summary>
    private (MigrationRequest? Request, (string Reason, string Message)? Invalid) Request(EdgeMigration resource, TenantScope scope)
    {
        var spec = resource.Spec ?? new EdgeMigrationSpec();
        var errors = new FieldErrors();
        var serviceName = errors.Text("service", spec.Service, InputLimits.Name, required: true);
        var tenantName = errors.Text("tenant", spec.Tenant, InputLimits.Name, required: true);
        var destinationName = errors.Text("destinationNode", spec.DestinationNode, InputLimits.Name);
        if (errors.Any)
            return (null, ("InvalidSpec", Message(errors)));

        var tenant = inventory.Tenants().FirstOrDefault(t => (Guid.TryParse(tenantName, out var g) && t.Id.Value == g)
            || string.Equals(t.Name, tenantName, StringComparison.OrdinalIgnoreCase));
        // A namespace acts for one tenant: naming another is refused without saying whether that tenant exists.
        if (tenant is null || !scope.Sees(tenant.Id))
            return (null, ("InvalidSpec", $"spec.tenant: namespace {resource.Namespace()} acts for {(scope.IsProvider ? "the provider" : "another tenant")}, and no tenant it may act for is named '{InputLimits.Echo(tenantName!)}'."));
        NodeId? destination = null;
        if (destinationName is not null)
        {
            var node = inventory.Nodes().FirstOrDefault(n => tenant.MayUse(n.ClusterId) && string.Equals(n.Name, destinationName, StringComparison.OrdinalIgnoreCase));
            if (node is null)
                return (null, ("InvalidSpec", $"spec.destinationNode: no node named '{InputLimits.Echo(destinationName)}' is in a cluster tenant {tenant.Name} may use."));
            destination = node.Id;
        }
        var body = new Body(destination?.Value, spec.Targets?.MaxDowntimeMs, spec.Targets?.MaxMigrationTimeMs, spec.Targets?.MaxUserLatencyMs,
            spec.Objective, spec.Strategy, spec.Iterations);
        var overrides = MigrationOverrides.Read(body, errors);
        if (errors.Any)
            return (null, ("InvalidSpec", Message(errors)));
        if (inventory.Services(tenant.Id).FirstOrDefault(s => string.Equals(s.Name, serviceName, StringComparison.Ordinal)) is not { } service)
            return (null, ("ServiceNotFound", $"spec.service: tenant {tenant.Name} has no service named '{InputLimits.Echo(serviceName!)}'."));
        return (overrides.ToRequest(service, MigrationTrigger.Api, scope.Actor, spec.AcceptTargetMiss ?? false), null);
    }

    /// <summary>The API's field errors, each under the field's path in the resource (<c>spec.targets.maxDowntimeMs</c>).</summary>
    private static string Message(FieldErrors errors)
    {
        var problem = errors.ToProblem().ProblemDetails;
        return string.Join(" ", problem.Errors.SelectMany(e => e.Value.Select(m => $"{Path(e.Key)}: {m}")));
    }

    private static string Path(string field) => field switch
    {
        "maxDowntimeMs" or "maxMigrationTimeMs" or "maxUserLatencyMs" => $"spec.targets.{field}",
        _ => $"spec.{field}",
    };

    /// <summary>
    /// The rights of the resource's namespace (<see cref="EdgeMigrationOptions.NamespaceTenants"/>, else the one tenant whose
    /// <c>TenantNamespaces</c> names it); null with the reason when it has none.
    /// </summary>
    private TenantScope? ScopeOf(KubernetesCluster cluster, EdgeMigration resource, out string? problem)
    {
        var ns = resource.Namespace();
        var actor = RequesterOf(cluster.Name, resource);
        problem = null;
        if (options.Value.NamespaceTenants.TryGetValue(ns, out var mapped))
            return mapped == EdgeMigrationOptions.Provider ? new TenantScope(null, actor) : new TenantScope(TenantId.From(Guid.Parse(mapped)), actor);
        var tenants = cluster.Options.TenantNamespaces.Where(t => t.Value == ns).Select(t => t.Key).ToList();
        if (tenants.Count == 1 && Guid.TryParse(tenants[0], out var tenant))
            return new TenantScope(TenantId.From(tenant), actor);
        problem = $"Namespace {ns} is mapped to no tenant: set {EdgeMigrationOptions.Section}:NamespaceTenants:{ns} to a tenant id (or '*' for the provider).";
        return null;
    }

    private static bool HasFinalizer(EdgeMigration resource) => resource.Metadata.Finalizers?.Contains(EdgeMigration.Finalizer) == true;

    /// <summary>Adds or removes the finalizer with a merge patch that carries the resourceVersion read (a conflict answers 409).</summary>
    private static async Task<EdgeMigration?> FinalizerAsync(KubernetesCluster cluster, EdgeMigration resource, bool add, CancellationToken cancellationToken)
    {
        var finalizers = (resource.Metadata.Finalizers ?? []).Where(f => f != EdgeMigration.Finalizer).ToList();
        if (add)
            finalizers.Add(EdgeMigration.Finalizer);
        var patch = new V1Patch(KubernetesJson.Serialize(new { metadata = new { finalizers, resourceVersion = resource.ResourceVersion() } }),
            V1Patch.PatchType.MergePatch);
        var answer = await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync<EdgeMigration>(patch, EdgeMigration.Group, EdgeMigration.Version,
            resource.Namespace(), EdgeMigration.Plural, resource.Name(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return answer;
    }

    /// <summary>Replaces the status subresource, guarded by the resourceVersion read: a replica that read an older copy gets 409.</summary>
    private static async Task<EdgeMigration?> WriteStatusAsync(KubernetesCluster cluster, EdgeMigration resource, EdgeMigrationStatus status,
        CancellationToken cancellationToken)
    {
        var body = new EdgeMigration
        {
            Metadata = new V1ObjectMeta { Name = resource.Name(), NamespaceProperty = resource.Namespace(), ResourceVersion = resource.ResourceVersion() },
            Spec = resource.Spec,
            Status = status,
        };
        return await cluster.Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<EdgeMigration>(body, EdgeMigration.Group, EdgeMigration.Version,
            resource.Namespace(), EdgeMigration.Plural, resource.Name(), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The resource as the API server has it now; null when it is gone.</summary>
    internal static async Task<EdgeMigration?> Reread(KubernetesCluster cluster, EdgeMigration resource, CancellationToken cancellationToken)
    {
        try
        {
            return await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync<EdgeMigration>(EdgeMigration.Group, EdgeMigration.Version,
                resource.Namespace(), EdgeMigration.Plural, resource.Name(), cancellationToken).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private sealed record Body(Guid? DestinationNodeId, double? MaxDowntimeMs, double? MaxMigrationTimeMs, double? MaxUserLatencyMs,
        string? Objective, string? Strategy, int? Iterations) : IMigrationOverridesBody;
}
