using EdgePortal.Core.Domain;
using static EdgePortal.Core.Tests.Domain.DomainSamples;

namespace EdgePortal.Core.Tests.Domain;

/// <summary>Every domain constructor refuses bad input and names the parameter it refused.</summary>
public sealed class ValueInvariantsTests
{
    private static void ThrowsOutOfRange(string parameter, Action construct)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(construct);
        Assert.Equal(parameter, e.ParamName);
    }

    /// <summary>Blank names: whitespace gives ArgumentException, null gives ArgumentNullException; both name the parameter.</summary>
    private static void ThrowsForBlank(string parameter, string? value, Action<string?> construct)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => construct(value));
        Assert.Equal(parameter, e.ParamName);
        Assert.IsType(value is null ? typeof(ArgumentNullException) : typeof(ArgumentException), e);
    }

    // ---- Units -------------------------------------------------------------------------------

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public void ByteSize_NegativeBytes_ThrowsNamingBytes(long bytes)
        => ThrowsOutOfRange("bytes", () => _ = new ByteSize(bytes));

    [Fact]
    public void ByteSize_Zero_IsAccepted()
        => Assert.Equal(0, new ByteSize(0).Bytes);

    [Theory]
    [InlineData(-1d)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Bandwidth_NegativeOrNotFinite_ThrowsNamingBitsPerSecond(double bits)
        => ThrowsOutOfRange("bitsPerSecond", () => _ = new Bandwidth(bits));

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-0.5)]
    public void Bandwidth_FromMegabitsWithBadRate_Throws(double megabits)
        => ThrowsOutOfRange("bitsPerSecond", () => Bandwidth.FromMegabits(megabits));

    // ---- Location and capacity ---------------------------------------------------------------

    [Theory]
    [InlineData(90.0001)]
    [InlineData(-90.0001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void GeoLocation_LatitudeOutOfRange_ThrowsNamingLatitude(double latitude)
        => ThrowsOutOfRange("latitude", () => _ = new GeoLocation(latitude, 7.68));

    [Theory]
    [InlineData(180.0001)]
    [InlineData(-180.0001)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void GeoLocation_LongitudeOutOfRange_ThrowsNamingLongitude(double longitude)
        => ThrowsOutOfRange("longitude", () => _ = new GeoLocation(45.07, longitude));

    [Theory]
    [InlineData(90, 180)]
    [InlineData(-90, -180)]
    [InlineData(0, 0)]
    public void GeoLocation_OnTheBounds_IsAccepted(double latitude, double longitude)
    {
        var location = new GeoLocation(latitude, longitude);
        Assert.Equal((latitude, longitude), (location.Latitude, location.Longitude));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void NodeCapacity_CpuNotPositive_ThrowsNamingCpuMillicores(int cpu)
        => ThrowsOutOfRange("cpuMillicores", () => _ = new NodeCapacity(cpu, GB));

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public void NodeCapacity_MemoryNotPositive_ThrowsNamingMemoryBytes(long memory)
        => ThrowsOutOfRange("memoryBytes", () => _ = new NodeCapacity(1_000, memory));

    // ---- Clusters, nodes, links --------------------------------------------------------------

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void EdgeCluster_BlankName_ThrowsNamingName(string? name)
        => ThrowsForBlank("name", name, n => _ = new EdgeCluster(ClusterId.New(), n!, ClusterKind.Simulated, "Torino"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("\t")]
    public void EdgeCluster_BlankRegion_ThrowsNamingRegion(string? region)
        => ThrowsForBlank("region", region, r => _ = new EdgeCluster(ClusterId.New(), "centro", ClusterKind.Simulated, r!));

    [Fact]
    public void EdgeCluster_PaddedNames_AreTrimmed()
    {
        var cluster = new EdgeCluster(ClusterId.New(), "  centro ", ClusterKind.Kubernetes, " Torino\n");
        Assert.Equal(("centro", "Torino"), (cluster.Name, cluster.Region));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(" ")]
    public void EdgeNode_BlankName_ThrowsNamingName(string? name)
        => ThrowsForBlank("name", name, n => _ = new EdgeNode(NodeId.New(), ClusterId.New(), n!, "site", new NodeCapacity(1, 1), new GeoLocation(0, 0)));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void EdgeNode_BlankSite_ThrowsNamingSite(string? site)
        => ThrowsForBlank("site", site, s => _ = new EdgeNode(NodeId.New(), ClusterId.New(), "n1", s!, new NodeCapacity(1, 1), new GeoLocation(0, 0)));

    [Theory]
    [InlineData(null)]
    [InlineData("  ")]
    public void EdgeNode_BlankHostClass_ThrowsNamingHostClass(string? hostClass)
        => ThrowsForBlank("hostClass", hostClass, h => _ = new EdgeNode(NodeId.New(), ClusterId.New(), "n1", "site", new NodeCapacity(1, 1), new GeoLocation(0, 0), h!));

    [Theory]
    [InlineData(NodeStatus.Ready, true)]
    [InlineData(NodeStatus.Cordoned, false)]
    [InlineData(NodeStatus.Down, false)]
    public void EdgeNode_WithStatus_KeepsIdentityAndSetsAcceptsWorkloads(NodeStatus status, bool accepts)
    {
        var node = Node("n1");
        var changed = node.WithStatus(status);
        Assert.Equal(accepts, changed.AcceptsWorkloads);
        Assert.Equal(status, changed.Status);
        Assert.Equal((node.Id, node.ClusterId, node.Name, node.Site, node.Capacity, node.Location, node.HostClass),
            (changed.Id, changed.ClusterId, changed.Name, changed.Site, changed.Capacity, changed.Location, changed.HostClass));
    }

    [Fact]
    public void NetworkLink_SameNodeAtBothEnds_ThrowsNamingNodeB()
    {
        var node = NodeId.New();
        var e = Assert.Throws<ArgumentException>(() => new NetworkLink(LinkId.New(), node, node, Bandwidth.FromGigabits(1), 1));
        Assert.Equal("nodeB", e.ParamName);
        Assert.Contains("two different nodes", e.Message);
    }

    [Fact]
    public void NetworkLink_ZeroBandwidth_ThrowsNamingBandwidth()
        => ThrowsOutOfRange("bandwidth", () => _ = new NetworkLink(LinkId.New(), NodeId.New(), NodeId.New(), new Bandwidth(0), 1));

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NetworkLink_BadLatency_ThrowsNamingLatencyMs(double latency)
        => ThrowsOutOfRange("latencyMs", () => _ = new NetworkLink(LinkId.New(), NodeId.New(), NodeId.New(), Bandwidth.FromGigabits(1), latency));

    [Fact]
    public void NetworkLink_ZeroLatency_IsAccepted()
        => Assert.Equal(0, new NetworkLink(LinkId.New(), NodeId.New(), NodeId.New(), Bandwidth.FromGigabits(1), 0).LatencyMs);

    [Fact]
    public void NetworkLink_OtherAndJoins_AnswerForBothEndsAndRejectAStranger()
    {
        var (a, b, stranger) = (NodeId.New(), NodeId.New(), NodeId.New());
        var link = new NetworkLink(LinkId.New(), a, b, Bandwidth.FromGigabits(1), 1);

        Assert.Equal(b, link.Other(a));
        Assert.Equal(a, link.Other(b));
        Assert.True(link.Joins(a));
        Assert.True(link.Joins(b));
        Assert.False(link.Joins(stranger));
        var e = Assert.Throws<ArgumentException>(() => link.Other(stranger));
        Assert.Equal("node", e.ParamName);
    }

    // ---- Tenants -----------------------------------------------------------------------------

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Tenant_BlankName_ThrowsNamingName(string? name)
        => ThrowsForBlank("name", name, n => _ = new Tenant(TenantId.New(), n!, []));

    [Fact]
    public void Tenant_NullAllowedClusters_ThrowsNamingAllowedClusters()
    {
        var e = Assert.Throws<ArgumentNullException>(() => new Tenant(TenantId.New(), "SkyFleet", null!));
        Assert.Equal("allowedClusters", e.ParamName);
    }

    [Fact]
    public void Tenant_MayUse_OnlyItsAllowedClusters()
    {
        var (allowed, other) = (ClusterId.New(), ClusterId.New());
        var tenant = new Tenant(TenantId.New(), "SkyFleet", [allowed]);
        Assert.True(tenant.MayUse(allowed));
        Assert.False(tenant.MayUse(other));
        Assert.Equal(Objective.MinDowntime, tenant.DefaultObjective);
    }

    // ---- Workloads, targets, services, users -------------------------------------------------

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public void WorkloadProfile_StateSizeNotPositive_ThrowsNamingStateSizeBytes(long size)
        => ThrowsOutOfRange("stateSizeBytes", () => _ = new WorkloadProfile(size, 10));

    [Theory]
    [InlineData(0)]
    [InlineData(-250)]
    public void WorkloadProfile_CpuNotPositive_ThrowsNamingCpuMillicores(int cpu)
        => ThrowsOutOfRange("cpuMillicores", () => _ = new WorkloadProfile(MB, 10, cpuMillicores: cpu));

    [Theory]
    [InlineData(-1d)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void WorkloadProfile_BadDirtyPageRate_ThrowsNamingDirtyPagesPerSecond(double rate)
        => ThrowsOutOfRange("dirtyPagesPerSecond", () => _ = new WorkloadProfile(MB, rate));

    [Theory]
    [InlineData(-1d)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void WorkloadProfile_BadArrivalRate_ThrowsNamingMessageArrivalRate(double rate)
        => ThrowsOutOfRange("messageArrivalRate", () => _ = new WorkloadProfile(MB, 10, messageArrivalRate: rate));

    [Theory]
    [InlineData(-1d)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void WorkloadProfile_BadProcessingRate_ThrowsNamingMessageProcessingRate(double rate)
        => ThrowsOutOfRange("messageProcessingRate", () => _ = new WorkloadProfile(MB, 10, messageArrivalRate: 5, messageProcessingRate: rate));

    [Theory]
    [InlineData(0, 0, false)]
    [InlineData(100, 0, false)]
    [InlineData(0, 100, false)]
    [InlineData(100, 120, true)]
    public void WorkloadProfile_ConsumesMessages_OnlyWithBothRates(double arrival, double processing, bool consumes)
        => Assert.Equal(consumes, new WorkloadProfile(MB, 10, arrival, processing).ConsumesMessages);

    [Fact]
    public void WorkloadProfile_MemoryBytes_IsTheStateSize()
        => Assert.Equal(42 * MB, new WorkloadProfile(42 * MB, 10).MemoryBytes);

    [Theory]
    [InlineData(0d)]
    [InlineData(-5d)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void KpiTargets_MaxDowntimeNotPositiveFinite_ThrowsNamingMaxDowntimeMs(double value)
        => ThrowsOutOfRange("maxDowntimeMs", () => _ = new KpiTargets(value, 1_000, 5));

    [Theory]
    [InlineData(0d)]
    [InlineData(-5d)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void KpiTargets_MaxMigrationTimeNotPositiveFinite_ThrowsNamingMaxMigrationTimeMs(double value)
        => ThrowsOutOfRange("maxMigrationTimeMs", () => _ = new KpiTargets(1_000, value, 5));

    [Theory]
    [InlineData(0d)]
    [InlineData(-5d)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void KpiTargets_MaxUserLatencyNotPositiveFinite_ThrowsNamingMaxUserLatencyMs(double value)
        => ThrowsOutOfRange("maxUserLatencyMs", () => _ = new KpiTargets(1_000, 2_000, value));

    [Theory]
    [InlineData(null)]
    [InlineData(" ")]
    public void ServiceInstance_BlankName_ThrowsNamingName(string? name)
        => ThrowsForBlank("name", name, n => _ = new ServiceInstance(ServiceId.New(), TenantId.New(), n!, NodeId.New(), Profile(), Targets(), Objective.MinDowntime));

    [Fact]
    public void ServiceInstance_NullProfile_ThrowsNamingProfile()
    {
        var e = Assert.Throws<ArgumentNullException>(() => new ServiceInstance(ServiceId.New(), TenantId.New(), "svc", NodeId.New(), null!, Targets(), Objective.MinDowntime));
        Assert.Equal("profile", e.ParamName);
    }

    [Fact]
    public void ServiceInstance_NullTargets_ThrowsNamingTargets()
    {
        var e = Assert.Throws<ArgumentNullException>(() => new ServiceInstance(ServiceId.New(), TenantId.New(), "svc", NodeId.New(), Profile(), null!, Objective.MinDowntime));
        Assert.Equal("targets", e.ParamName);
    }

    [Fact]
    public void ServiceInstance_NoLabelsOrImage_DefaultsToEmpty()
    {
        var service = new ServiceInstance(ServiceId.New(), TenantId.New(), "svc", NodeId.New(), Profile(), Targets(), Objective.MinResources, null, null!);
        Assert.Empty(service.Labels);
        Assert.Equal("", service.Image);
    }

    [Fact]
    public void ServiceInstance_MovedTo_ChangesOnlyTheNode()
    {
        var service = Service(NodeId.New());
        var target = NodeId.New();

        var moved = service.MovedTo(target);

        Assert.Equal(target, moved.NodeId);
        Assert.Equal((service.Id, service.TenantId, service.Name, service.Objective, service.Image),
            (moved.Id, moved.TenantId, moved.Name, moved.Objective, moved.Image));
        Assert.Same(service.Profile, moved.Profile);
        Assert.Same(service.Targets, moved.Targets);
        Assert.Same(service.Labels, moved.Labels);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void UserGroup_UsersNotPositive_ThrowsNamingUsers(int users)
        => ThrowsOutOfRange("users", () => _ = new UserGroup(UserGroupId.New(), ServiceId.New(), "swarm", NodeId.New(), users));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void UserGroup_BlankName_ThrowsNamingName(string? name)
        => ThrowsForBlank("name", name, n => _ = new UserGroup(UserGroupId.New(), ServiceId.New(), n!, NodeId.New(), 3));

    [Fact]
    public void UserGroup_AttachedAt_MovesOnlyTheAttachment()
    {
        var group = new UserGroup(UserGroupId.New(), ServiceId.New(), "swarm", NodeId.New(), 12);
        var site = NodeId.New();
        var moved = group.AttachedAt(site);
        Assert.Equal((group.Id, group.ServiceId, group.Name, site, group.Users),
            (moved.Id, moved.ServiceId, moved.Name, moved.AttachedTo, moved.Users));
    }

    // ---- Ids ---------------------------------------------------------------------------------

    [Fact]
    public void EntityIds_New_AreDistinctAndPrintAsTheirGuid()
    {
        var a = ServiceId.New();
        var b = ServiceId.New();
        Assert.NotEqual(a, b);
        Assert.Equal(a.Value.ToString(), a.ToString());
        Assert.Equal(a, ServiceId.From(a.Value));
    }
}
