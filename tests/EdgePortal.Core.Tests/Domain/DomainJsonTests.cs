using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePortal.Core.Domain;
using static EdgePortal.Core.Tests.Domain.DomainSamples;

namespace EdgePortal.Core.Tests.Domain;

public sealed class DomainJsonTests
{
    private static readonly TimeSpan Rome = TimeSpan.FromHours(1);

    /// <summary>Two steps done, the third running, created and started at a non-UTC offset.</summary>
    private static Migration MidFlight()
    {
        var created = new DateTimeOffset(2025, 3, 14, 10, 0, 0, 123, Rome);
        var migration = Queued(at: created);
        migration.Start(created.AddSeconds(1));
        var now = RunSteps(migration, 2, created.AddSeconds(1));
        migration.BeginStep(2, now.AddMilliseconds(250));
        migration.DequeueEvents();
        return migration;
    }

    private static T RoundTrip<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, DomainJson.Options), DomainJson.Options)!;

    [Fact]
    public void Migration_MidFlightRoundTrip_PreservesStateStepsAndVersion()
    {
        var original = MidFlight();

        var copy = RoundTrip(original);

        Assert.Equal((original.Id, original.TenantId, original.ServiceId, original.ClusterId, original.ServiceName),
            (copy.Id, copy.TenantId, copy.ServiceId, copy.ClusterId, copy.ServiceName));
        Assert.Equal((MigrationState.Running, original.Version), (copy.State, copy.Version));
        Assert.Equal(original.Steps, copy.Steps);
        Assert.Equal((original.CreatedAt, original.StartedAt, original.FinishedAt), (copy.CreatedAt, copy.StartedAt, copy.FinishedAt));
        Assert.Equal(Rome, copy.CreatedAt.Offset);
        Assert.Equal((original.Objective, original.Trigger, original.RequestedBy), (copy.Objective, copy.Trigger, copy.RequestedBy));
        Assert.Equal((original.FailureReason, original.FailedStep, original.CancelRequested), (copy.FailureReason, copy.FailedStep, copy.CancelRequested));
        Assert.Equal(original.Targets, copy.Targets);
        Assert.Equal(original.Plan.Steps, copy.Plan.Steps);
        Assert.Equal(original.Plan with { Steps = copy.Plan.Steps }, copy.Plan);
        Assert.Equal(StepStatus.Running, copy.Steps[2].Status);
        Assert.Empty(copy.DequeueEvents());
    }

    [Fact]
    public void Migration_AfterRoundTrip_ContinuesItsSequence()
    {
        var original = MidFlight();
        var copy = RoundTrip(original);

        var now = copy.StartedAt!.Value.AddSeconds(10);
        copy.CompleteStep(2, 130, null, now);
        copy.BeginStep(3, now);

        Assert.Equal([original.Version + 1, original.Version + 2], copy.DequeueEvents().Select(e => e.Sequence));
        Assert.Equal(original.Version + 2, copy.Version);
    }

    [Fact]
    public void Migration_RolledBackRoundTrip_PreservesFailureDetails()
    {
        var migration = MidFlight();
        migration.FailStep(2, "criu: dump failed", 12.5, migration.StartedAt!.Value.AddSeconds(10));
        migration.CompleteRollback("source serving", migration.StartedAt!.Value.AddSeconds(12));

        var copy = RoundTrip(migration);

        Assert.Equal((MigrationState.RolledBack, 2, "Checkpoint failed: criu: dump failed"), (copy.State, copy.FailedStep!.Value, copy.FailureReason));
        Assert.Equal(migration.FinishedAt, copy.FinishedAt);
        Assert.Equal(migration.Steps, copy.Steps);
        Assert.True(copy.IsTerminal);
    }

    [Fact]
    public void Migration_Json_UsesCamelCaseStringEnumsBareGuidsAndNoDerivedProperties()
    {
        var migration = MidFlight();

        var json = JsonNode.Parse(JsonSerializer.Serialize(migration, DomainJson.Options))!.AsObject();

        Assert.Equal(migration.Id.Value.ToString(), json["id"]!.GetValue<string>());
        Assert.Equal(migration.TenantId.Value.ToString(), json["tenantId"]!.GetValue<string>());
        Assert.Equal("Running", json["state"]!.GetValue<string>());
        Assert.Equal("PreCopy", json["plan"]!["strategy"]!.GetValue<string>());
        Assert.Equal(migration.Source.Value.ToString(), json["plan"]!["source"]!.GetValue<string>());
        Assert.Equal("Succeeded", json["steps"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(migration.Version, json["version"]!.GetValue<long>());
        foreach (var derived in new[] { "source", "destination", "strategy", "isTerminal", "isInFlight", "progress", "nextStep", "measuredDowntimeMs" })
            Assert.False(json.ContainsKey(derived), $"'{derived}' is derived and must not be stored");
    }

    [Fact]
    public void MigrationEvents_SerializedAsTheBaseType_CarryATypeDiscriminator()
    {
        var migration = Queued();
        migration.Start(T0);
        migration.BeginStep(0, T0);
        migration.CompleteStep(0, 10, "ok", T0);
        migration.BeginStep(1, T0);
        migration.FailStep(1, "boom", 4, T0);
        migration.CompleteRollback("done", T0);
        var events = migration.DequeueEvents();

        var json = JsonNode.Parse(JsonSerializer.Serialize(events, DomainJson.Options))!.AsArray();

        Assert.Equal(["queued", "started", "stepStarted", "stepCompleted", "stepStarted", "stepFailed", "rollbackStarted", "finished"],
            json.Select(e => e!["type"]!.GetValue<string>()));
        Assert.All(json, e => Assert.Equal("type", e!.AsObject().First().Key));
        Assert.Equal("RolledBack", json[^1]!["state"]!.GetValue<string>());
        Assert.Equal("Checkpoint", JsonNode.Parse(JsonSerializer.Serialize<MigrationEvent>(
            new StepFailed(migration.Id, migration.TenantId, T0, 9, 2, StepKind.Checkpoint, "x"), DomainJson.Options))!["kind"]!.GetValue<string>());
    }

    [Fact]
    public void MigrationEvents_RoundTripThroughTheBaseType_KeepTheirConcreteTypeAndValues()
    {
        var id = MigrationId.New();
        var tenant = TenantId.New();
        MigrationEvent[] events =
        [
            new MigrationQueued(id, tenant, T0, 1, MigrationStrategy.MessageReplay, NodeId.New(), NodeId.New()),
            new MigrationStarted(id, tenant, T0, 2),
            new StepStarted(id, tenant, T0, 3, 0, StepKind.ReplayMessages, 0, true, 75.5),
            new StepCompleted(id, tenant, T0, 4, 0, StepKind.ReplayMessages, 0, true, 75.5, 80.25, null),
            new StepFailed(id, tenant, T0, 5, 1, StepKind.SwitchTraffic, "selector patch refused"),
            new RollbackStarted(id, tenant, T0, 6, "SwitchTraffic failed"),
            new MigrationFinished(id, tenant, T0.AddMinutes(1), 7, MigrationState.Completed, "Completed", 120, 4_000),
            new StepRetrying(id, tenant, T0, 8, 3, StepKind.Transfer, 1, "registry busy", 10_000),
            new MigrationResumed(id, tenant, T0, 9, 3, "EdgePortal stopped during Transfer"),
        ];

        var copy = JsonSerializer.Deserialize<MigrationEvent[]>(JsonSerializer.Serialize(events, DomainJson.Options), DomainJson.Options)!;

        Assert.Equal(events, copy);
        Assert.Equal(events.Select(e => e.GetType()), copy.Select(e => e.GetType()));
    }

    [Fact]
    public void MigrationEvent_UnknownDiscriminator_IsRejected()
        => Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<MigrationEvent>(
            """{"type":"teleported","migrationId":"0196a3c1-0000-7000-8000-000000000001","tenantId":"0196a3c1-0000-7000-8000-000000000002","at":"2025-03-14T09:00:00+00:00","sequence":1}""",
            DomainJson.Options));

    [Fact]
    public void EntityId_AsDictionaryKey_IsTheBareGuid()
    {
        var id = NodeId.New();
        var json = JsonSerializer.Serialize(new Dictionary<NodeId, int> { [id] = 3 }, DomainJson.Options);
        Assert.Equal($"{{\"{id.Value}\":3}}", json);
        Assert.Equal(3, JsonSerializer.Deserialize<Dictionary<NodeId, int>>(json, DomainJson.Options)![id]);
    }

    [Fact]
    public void ValueTypes_RoundTrip_KeepTheirValues()
    {
        var node = Node("centro-castello").WithStatus(NodeStatus.Cordoned);
        var link = new NetworkLink(LinkId.New(), NodeId.New(), NodeId.New(), Bandwidth.FromGigabits(10), 0.5);
        var service = Service(NodeId.New());
        var tenant = new Tenant(TenantId.New(), "ARena Play", [ClusterId.New(), ClusterId.New()], Objective.MinResources);

        Assert.Equal(node, RoundTrip(node));
        Assert.Equal(link, RoundTrip(link));
        Assert.Equal(new ByteSize(512_000), RoundTrip(new ByteSize(512_000)));
        var serviceCopy = RoundTrip(service);
        Assert.Equal((service.Id, service.Name, service.NodeId, service.Profile, service.Targets, service.Image), (serviceCopy.Id, serviceCopy.Name, serviceCopy.NodeId, serviceCopy.Profile, serviceCopy.Targets, serviceCopy.Image));
        Assert.Equal(service.Labels, serviceCopy.Labels);
        var tenantCopy = RoundTrip(tenant);
        Assert.Equal((tenant.Id, tenant.Name, tenant.DefaultObjective), (tenantCopy.Id, tenantCopy.Name, tenantCopy.DefaultObjective));
        Assert.Equal(tenant.AllowedClusters, tenantCopy.AllowedClusters);
    }

    [Fact]
    public void AllowPostCopy_RoundTrip_KeptOnTenantAndServiceAndOffWhenAbsent()
    {
        var tenant = new Tenant(TenantId.New(), "SkyFleet", [ClusterId.New()], allowPostCopy: true);
        var s = Service(NodeId.New());
        var service = new ServiceInstance(s.Id, s.TenantId, s.Name, s.NodeId, s.Profile, s.Targets, s.Objective, s.Labels, s.Image, allowPostCopy: true);

        Assert.True(RoundTrip(tenant).AllowPostCopy);
        Assert.True(RoundTrip(service).AllowPostCopy);
        Assert.True(service.MovedTo(NodeId.New()).AllowPostCopy);
        // A document stored before the field existed reads as off, the safe default.
        var old = JsonSerializer.SerializeToNode(tenant, DomainJson.Options)!.AsObject();
        old.Remove("allowPostCopy");
        Assert.False(old.Deserialize<Tenant>(DomainJson.Options)!.AllowPostCopy);
    }

    [Fact]
    public void Deserialize_InvalidValue_RunsTheValidatingConstructor()
        => Assert.Throws<ArgumentOutOfRangeException>(() => JsonSerializer.Deserialize<GeoLocation>("""{"latitude":91,"longitude":0}""", DomainJson.Options));

    [Fact]
    public void Double_NonFinite_IsWrittenAsANamedLiteral()
    {
        var json = JsonSerializer.Serialize<MigrationEvent>(new MigrationFinished(MigrationId.New(), TenantId.New(), T0, 1, MigrationState.Completed, null, double.PositiveInfinity, null), DomainJson.Options);
        Assert.Contains("\"measuredDowntimeMs\":\"Infinity\"", json);
        Assert.Equal(double.PositiveInfinity, ((MigrationFinished)JsonSerializer.Deserialize<MigrationEvent>(json, DomainJson.Options)!).MeasuredDowntimeMs);
    }
}
