using System.Text.Json.Nodes;
using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Kubernetes.EdgeMigrations;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Web.Kubernetes;

namespace EdgePortal.Runtime.Kubernetes.Tests.CustomResource;

/// <summary>
/// The EdgeMigration controller in the real portal against the fake API server: every request it sends is checked against
/// the CRD's own schema and the OpenAPI document the API server publishes for it (a refusal fails the test).
/// </summary>
public sealed class EdgeMigrationControllerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Apply_ValidSpec_StartsThroughTheUseCaseAndMirrorsTheMigrationUntilItCompletes()
    {
        await using var lab = await EdgeMigrationPortal.StartAsync();
        var created = lab.Apply("move-flight-control", "flight-control");

        var done = await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "move-flight-control",
            r => r?.Status?.Phase == "Completed" && r.Metadata.Finalizers is not { Count: > 0 }, Wait);

        var status = done!.Status!;
        var migration = lab.Get<IMigrationRepository>().Find(MigrationId.From(Guid.Parse(status.MigrationId!)))!;
        Assert.Equal(MigrationState.Completed, migration.State);
        Assert.Equal($"kubernetes:{EdgeMigrationPortal.Cluster}/{EdgeMigrationPortal.Namespace}/move-flight-control#{created.Metadata.Uid}", migration.RequestedBy);
        Assert.Equal(MigrationTrigger.Api, migration.Trigger);
        Assert.Equal("flight-control", migration.ServiceName);
        Assert.Equal(migration.Plan.Strategy.ToString(), status.Strategy);
        Assert.Equal(migration.Plan.Rationale, status.Rationale);
        Assert.Equal(Math.Round(migration.MeasuredDowntimeMs!.Value, 3), status.MeasuredDowntimeMs);
        Assert.Equal(EdgeMigrationStatuses.Duration(migration.MeasuredDowntimeMs!.Value), status.Downtime);
        Assert.Equal(migration.Steps.Count, status.Steps!.Count);
        Assert.All(status.Steps.Zip(migration.Steps), pair =>
        {
            Assert.Equal(pair.Second.Label, pair.First.Name);
            Assert.Equal("Succeeded", pair.First.Status);
            Assert.Equal(Math.Round(pair.Second.PredictedMs, 3), pair.First.PredictedMs);
            Assert.Equal(Math.Round(pair.Second.MeasuredMs!.Value, 3), pair.First.MeasuredMs);
        });
        Assert.Contains(status.Conditions!, c => c.Type == "Accepted" && c.Status == "True" && c.Reason == "Started");
        Assert.Contains(status.Conditions!, c => c.Type == "Succeeded" && c.Status == "True" && c.Reason == "Completed");
        Assert.Equal(done.Metadata.Generation, status.ObservedGeneration);

        // The finalizer went on before the migration was started, and came off only after the status held its end.
        var writes = lab.Server.Requests.Where(r => r.Operation is Operation.PatchEdgeMigration or Operation.ReplaceEdgeMigrationStatus).ToList();
        Assert.Equal(Operation.PatchEdgeMigration, writes[0].Operation);
        Assert.Contains(EdgeMigration.Finalizer, writes[0].Body, StringComparison.Ordinal);
        Assert.Equal(Operation.PatchEdgeMigration, writes[^1].Operation);
        Assert.DoesNotContain(EdgeMigration.Finalizer, writes[^1].Body, StringComparison.Ordinal);
        Assert.Contains("\"Completed\"", writes[^2].Body, StringComparison.Ordinal);
        // Progress was written as it happened, not only at the end.
        Assert.Contains(writes, w => w.Operation == Operation.ReplaceEdgeMigrationStatus && w.Body.Contains("\"phase\":\"Running\"", StringComparison.Ordinal));
        lab.Server.AssertNoRejections();
    }

    [Fact]
    public async Task Apply_TargetsObjectiveAndStrategy_ReachTheStartedMigration()
    {
        // SkyFleet's own objective is MinDowntime and flight-control's planner would not pick Cold: what is stored can only
        // have come from the spec.
        await using var lab = await EdgeMigrationPortal.StartAsync();
        lab.Apply("move-cold", "flight-control", spec: s =>
        {
            s.Targets = new EdgeMigrationTargets { MaxDowntimeMs = 4321, MaxMigrationTimeMs = 98765, MaxUserLatencyMs = 77 };
            s.Objective = "MinResources";
            s.Strategy = "Cold";
            s.AcceptTargetMiss = true;
        });

        var started = await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "move-cold", r => r?.Status?.MigrationId is not null, Wait);

        var migration = lab.Get<IMigrationRepository>().Find(MigrationId.From(Guid.Parse(started!.Status!.MigrationId!)))!;
        Assert.Equal(MigrationStrategy.Cold, migration.Plan.Strategy);
        Assert.Equal(Objective.MinResources, migration.Objective);
        Assert.Equal(new KpiTargets(4321, 98765, 77), migration.Targets);
        Assert.Equal("Cold", started.Status.Strategy);
        lab.Server.AssertNoRejections();
    }

    [Theory]
    [InlineData("nowhere", "flight-control", "SkyFleet Drones", "InvalidSpec", "spec.destinationNode: no node named 'nowhere'")]
    [InlineData(null, "flight-control", "ARena Play", "InvalidSpec", "spec.tenant: namespace skyfleet acts for another tenant")]
    [InlineData(null, "no-such-service", "SkyFleet Drones", "ServiceNotFound", "spec.service: tenant SkyFleet Drones has no service named 'no-such-service'")]
    public async Task Apply_SpecTheApiWouldRefuse_RefusedWithTheFieldInAConditionAndNothingStarted(string? destination, string service, string tenant,
        string reason, string message)
    {
        await using var lab = await EdgeMigrationPortal.StartAsync();
        lab.Apply("bad", service, tenant, spec: s => s.DestinationNode = destination);

        var refused = await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "bad",
            r => r?.Status?.Phase == "Refused" && r.Metadata.Finalizers is not { Count: > 0 }, Wait);

        var accepted = Assert.Single(refused!.Status!.Conditions!, c => c.Type == "Accepted");
        Assert.Equal("False", accepted.Status);
        Assert.Equal(reason, accepted.Reason);
        Assert.StartsWith(message, accepted.Message, StringComparison.Ordinal);
        Assert.Null(refused.Status.MigrationId);
        Assert.DoesNotContain(lab.Get<IMigrationRepository>().List(new MigrationQuery(Limit: 1000)), m => m.RequestedBy.StartsWith("kubernetes:", StringComparison.Ordinal));

        // The controller carries on: a good resource after the bad one still runs.
        lab.Apply("good", "flight-control");
        await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "good", r => r?.Status?.Phase == "Completed", Wait);
        lab.Server.AssertNoRejections();
    }

    [Fact]
    public async Task Apply_NamespaceMappedToNoTenant_RefusedNamingTheSettingToSet()
    {
        await using var lab = await EdgeMigrationPortal.StartAsync();
        lab.Apply("stray", "flight-control", ns: "elsewhere");

        var refused = await lab.Resources.WhenAsync("elsewhere", "stray", r => r?.Status?.Phase == "Refused", Wait);

        var accepted = Assert.Single(refused!.Status!.Conditions!, c => c.Type == "Accepted");
        Assert.Equal("NamespaceNotMapped", accepted.Reason);
        Assert.Contains("EdgePortal:Kubernetes:EdgeMigrations:NamespaceTenants:elsewhere", accepted.Message, StringComparison.Ordinal);
        lab.Server.AssertNoRejections();
    }

    [Fact]
    public void Apply_StrategyOutsideTheCrdsEnum_IsRefusedByTheSchemaBeforeThePortalSeesIt()
    {
        var store = new FakeEdgeMigrationStore();

        var refused = Assert.Throws<InvalidOperationException>(() => store.Create(new EdgeMigration
        {
            Metadata = new() { Name = "warp", NamespaceProperty = "skyfleet" },
            Spec = new EdgeMigrationSpec { Service = "flight-control", Tenant = "SkyFleet Drones", Strategy = "Warp" },
        }));

        Assert.Contains("spec.strategy: Unsupported value: \"Warp\"", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_WhileTheMigrationRuns_CancelsItAndRemovesTheFinalizerOnceHistoryIsConsistent()
    {
        // A slow edge: the migration is still running when the resource is deleted.
        await using var lab = await EdgeMigrationPortal.StartAsync(speedFactor: 0.05);
        lab.Apply("move-and-regret", "flight-control");
        var running = await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "move-and-regret", r => r?.Status?.Phase == "Running", Wait);

        lab.Resources.Delete(EdgeMigrationPortal.Namespace, "move-and-regret");
        await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "move-and-regret", r => r is null, Wait);

        var migration = lab.Get<IMigrationRepository>().Find(MigrationId.From(Guid.Parse(running!.Status!.MigrationId!)))!;
        Assert.Equal(MigrationState.Cancelled, migration.State);
        Assert.True(migration.CancelRequested);
        // The last status written before the finalizer came off holds the cancelled end.
        var last = JsonNode.Parse(lab.Server.RequestsOf(Operation.ReplaceEdgeMigrationStatus)[^1].Body)!;
        Assert.Equal("Cancelled", last["status"]!["phase"]!.GetValue<string>());
        Assert.Contains(last["status"]!["conditions"]!.AsArray(), c => c!["type"]!.GetValue<string>() == "Deleting");
        lab.Server.AssertNoRejections();
    }

    [Fact]
    public async Task Apply_ServiceAlreadyMigrating_PendingUntilFreeAndDeletableMeanwhile()
    {
        await using var lab = await EdgeMigrationPortal.StartAsync(speedFactor: 0.05);
        lab.Apply("first", "flight-control");
        await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "first", r => r?.Status?.MigrationId is not null, Wait);

        lab.Apply("second", "flight-control");
        var pending = await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "second", r => r?.Status?.Phase == "Pending", Wait);
        var accepted = Assert.Single(pending!.Status!.Conditions!, c => c.Type == "Accepted");
        Assert.Equal(("False", "AlreadyMigrating"), (accepted.Status, accepted.Reason));
        Assert.Contains(EdgeMigration.Finalizer, pending.Metadata.Finalizers!);

        // Never started, so nothing to cancel: deleting it only lifts the finalizer.
        lab.Resources.Delete(EdgeMigrationPortal.Namespace, "second");
        await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "second", r => r is null, Wait);
        Assert.Single(lab.Get<IMigrationRepository>().List(new MigrationQuery(Limit: 1000)), m => m.RequestedBy.StartsWith("kubernetes:", StringComparison.Ordinal));
        lab.Server.AssertNoRejections();
    }

    [Fact]
    public async Task Reconcile_StatusWriteLostAndSecondReplicaWithAStaleCopy_StartsOneMigrationOnly()
    {
        await using var lab = await EdgeMigrationPortal.StartAsync();
        // The first status write (the one carrying the migration id) fails: the controller must find its migration again.
        lab.Server.Faults.Next(Operation.ReplaceEdgeMigrationStatus, Fault.Status(500, "InternalError", "etcdserver: request timed out"));
        var created = lab.Apply("once", "flight-control");
        var withFinalizer = await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "once", r => r?.Metadata.Finalizers is { Count: > 0 }, Wait);

        // A second replica reconciles the copy it read before any status existed, at the same time.
        var reconciler = lab.Get<EdgeMigrationReconciler>();
        var cluster = lab.Get<IKubernetesClients>().For(EdgeMigrationPortal.Cluster)!;
        async Task Replica()
        {
            try
            {
                await reconciler.ReconcileAsync(cluster, withFinalizer!, CancellationToken.None);
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.InternalServerError)
            {
                // A replica whose copy is stale is told so, and reads again: what the controller does. The injected lost
                // write may reach one of these replicas before the controller's own loop: it too tries again later.
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(Replica)));
        var done = await lab.Resources.WhenAsync(EdgeMigrationPortal.Namespace, "once", r => r?.Status?.Phase == "Completed", Wait);

        var started = lab.Get<IMigrationRepository>().List(new MigrationQuery(Limit: 1000)).Where(m => m.RequestedBy.EndsWith(created.Metadata.Uid, StringComparison.Ordinal)).ToList();
        var only = Assert.Single(started);
        // The write that failed carried this very migration: it was started once, and found again after the failure.
        Assert.Contains(only.Id.ToString(), lab.Server.RequestsOf(Operation.ReplaceEdgeMigrationStatus)[0].Body, StringComparison.Ordinal);
        Assert.Equal(only.Id.ToString(), done!.Status!.MigrationId);
        lab.Server.AssertNoRejections();
    }
}
