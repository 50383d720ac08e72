using System.Security.Cryptography;
using System.Text;
using EdgePortal.Core.Domain;

namespace EdgePortal.Runtime.Simulated;

/// <summary>
/// The demo edge provider a fresh install starts with: a metro edge in Turin (where the MOSE testbed
/// lives) with three clusters of radio-site nodes, a mixed backhaul, two tenants and their services.
/// Ids are derived from names, so the same demo gets the same ids on every machine (handy in docs and scripts).
/// </summary>
public static class DemoEdge
{
    private const long MB = 1_000_000;
    private const long GB = 1_000_000_000;

    public static TenantId SkyFleet { get; } = TenantId.From(StableGuid("tenant:skyfleet"));
    public static TenantId ArenaPlay { get; } = TenantId.From(StableGuid("tenant:arenaplay"));

    public static EdgeInventory Build()
    {
        var centro = Cluster("torino-centro", ClusterKind.Simulated, "Torino · Centro");
        var nord = Cluster("torino-nord", ClusterKind.Simulated, "Torino · Nord");
        var sud = Cluster("torino-lingotto", ClusterKind.Simulated, "Torino · Lingotto");
        EdgeCluster[] clusters = [centro, nord, sud];

        var nodes = new List<EdgeNode>
        {
            Node(centro, "centro-porta-nuova", "gNB Porta Nuova", 45.0625, 7.6784, cpu: 16_000, memGb: 64),
            Node(centro, "centro-castello", "gNB Piazza Castello", 45.0712, 7.6853, cpu: 16_000, memGb: 64),
            Node(centro, "centro-vanchiglia", "gNB Vanchiglia", 45.0705, 7.7010, cpu: 8_000, memGb: 32, hostClass: "edge-small"),
            Node(centro, "centro-crocetta", "gNB Crocetta", 45.0566, 7.6660, cpu: 8_000, memGb: 32, hostClass: "edge-small"),
            Node(centro, "centro-san-salvario", "gNB San Salvario", 45.0540, 7.6830, cpu: 8_000, memGb: 16, hostClass: "edge-small"),
            Node(nord, "nord-dora", "gNB Parco Dora", 45.0860, 7.6700, cpu: 16_000, memGb: 64),
            Node(nord, "nord-barriera", "gNB Barriera di Milano", 45.0960, 7.6980, cpu: 8_000, memGb: 32, hostClass: "edge-small"),
            Node(nord, "nord-madonna-campagna", "gNB Madonna di Campagna", 45.1010, 7.6700, cpu: 8_000, memGb: 32, hostClass: "edge-small"),
            Node(nord, "nord-caselle", "gNB Caselle Airport", 45.1900, 7.6430, cpu: 32_000, memGb: 128, hostClass: "edge-large"),
            Node(sud, "sud-lingotto", "gNB Lingotto", 45.0330, 7.6650, cpu: 32_000, memGb: 128, hostClass: "edge-large"),
            Node(sud, "sud-mirafiori", "gNB Mirafiori", 45.0300, 7.6300, cpu: 16_000, memGb: 64),
            Node(sud, "sud-moncalieri", "gNB Moncalieri", 45.0000, 7.6850, cpu: 8_000, memGb: 32, hostClass: "edge-small"),
            Node(sud, "sud-nichelino", "gNB Nichelino", 44.9950, 7.6450, cpu: 8_000, memGb: 16, hostClass: "edge-small"),
        };
        var byName = nodes.ToDictionary(n => n.Name);
        NodeId N(string name) => byName[name].Id;

        NetworkLink[] links =
        [
            // Centro: a 1 Gbit/s metro ring with a 10 Gbit/s spine between the two big sites.
            Link(N("centro-porta-nuova"), N("centro-castello"), 10_000, 0.5),
            Link(N("centro-castello"), N("centro-vanchiglia"), 1_000, 1.2),
            Link(N("centro-vanchiglia"), N("centro-san-salvario"), 1_000, 1.5),
            Link(N("centro-san-salvario"), N("centro-crocetta"), 1_000, 1.1),
            Link(N("centro-crocetta"), N("centro-porta-nuova"), 1_000, 0.9),
            // Nord: a star on Parco Dora, the airport behind a 10 Gbit/s fibre run.
            Link(N("nord-dora"), N("nord-barriera"), 1_000, 1.4),
            Link(N("nord-dora"), N("nord-madonna-campagna"), 1_000, 1.0),
            Link(N("nord-barriera"), N("nord-madonna-campagna"), 100, 2.5),
            Link(N("nord-dora"), N("nord-caselle"), 10_000, 3.8),
            // Lingotto: a 1 Gbit/s ring around the large Lingotto site, Nichelino on a 100 Mbit/s microwave hop.
            Link(N("sud-lingotto"), N("sud-mirafiori"), 1_000, 1.3),
            Link(N("sud-lingotto"), N("sud-moncalieri"), 1_000, 1.6),
            Link(N("sud-mirafiori"), N("sud-nichelino"), 100, 3.2),
            Link(N("sud-moncalieri"), N("sud-nichelino"), 1_000, 2.0),
            // Metro backhaul between clusters.
            Link(N("centro-castello"), N("nord-dora"), 10_000, 2.2),
            Link(N("centro-porta-nuova"), N("sud-lingotto"), 10_000, 2.6),
            Link(N("nord-madonna-campagna"), N("sud-mirafiori"), 1_000, 6.5),
        ];

        // SkyFleet accepts post-copy for its services that ask for it (mission-planner does: 200 MB, where it cuts the downtime most).
        var skyfleet = new Tenant(SkyFleet, "SkyFleet Drones", [centro.Id, nord.Id, sud.Id], Objective.MinDowntime, allowPostCopy: true);
        var arena = new Tenant(ArenaPlay, "ARena Play", [centro.Id, sud.Id], Objective.MinResources);

        var services = new List<ServiceInstance>();
        var users = new List<UserGroup>();
        void Add(Tenant tenant, string name, string node, long state, double dirtyPagesPerSecond, KpiTargets targets,
            double arrival = 0, double processing = 0, int cpu = 500, bool allowPostCopy = false, params (string Group, string Site, int Users)[] groups)
        {
            var service = new ServiceInstance(ServiceId.From(StableGuid("service:" + name)), tenant.Id, name, N(node),
                new WorkloadProfile(state, dirtyPagesPerSecond, arrival, processing, cpu), targets, tenant.DefaultObjective,
                new Dictionary<string, string> { ["app"] = name, ["tier"] = arrival > 0 ? "stream" : "interactive" },
                $"registry.edge.example/{name}:1.0", allowPostCopy);
            services.Add(service);
            users.AddRange(groups.Select(g => new UserGroup(UserGroupId.From(StableGuid($"users:{name}:{g.Group}")), service.Id, g.Group, N(g.Site), g.Users)));
        }

        var flight = new KpiTargets(maxDowntimeMs: 2_000, maxMigrationTimeMs: 5_000, maxUserLatencyMs: 5);
        var video = new KpiTargets(maxDowntimeMs: 1_500, maxMigrationTimeMs: 20_000, maxUserLatencyMs: 8);
        var game = new KpiTargets(maxDowntimeMs: 1_000, maxMigrationTimeMs: 10_000, maxUserLatencyMs: 4);
        var batch = new KpiTargets(maxDowntimeMs: 5_000, maxMigrationTimeMs: 60_000, maxUserLatencyMs: 20);

        Add(skyfleet, "flight-control", "centro-castello", 10 * MB, 120, flight, cpu: 500,
            groups: [("Survey swarm A", "centro-castello", 12), ("Survey swarm B", "centro-vanchiglia", 8)]);
        Add(skyfleet, "collision-avoidance", "centro-porta-nuova", 512_000, 40, flight, cpu: 250,
            groups: [("Survey swarm A", "centro-castello", 12)]);
        Add(skyfleet, "telemetry-ingest", "nord-dora", 64 * MB, 2_500, video, arrival: 800, processing: 1_200, cpu: 1_000,
            groups: [("Delivery fleet", "nord-barriera", 40)]);
        Add(skyfleet, "video-analytics", "nord-caselle", 1 * GB, 18_000, video, arrival: 30, processing: 45, cpu: 4_000,
            groups: [("Airport perimeter", "nord-caselle", 6), ("Delivery fleet", "nord-madonna-campagna", 40)]);
        Add(skyfleet, "mission-planner", "sud-lingotto", 200 * MB, 900, batch, cpu: 1_000, allowPostCopy: true,
            groups: [("Operations centre", "sud-lingotto", 4)]);
        Add(skyfleet, "geofence-cache", "centro-crocetta", 32 * MB, 300, flight, cpu: 250,
            groups: [("Survey swarm B", "centro-san-salvario", 8)]);
        Add(arena, "match-state", "sud-mirafiori", 48 * MB, 3_000, game, arrival: 2_000, processing: 2_600, cpu: 2_000,
            groups: [("Players Mirafiori", "sud-mirafiori", 150), ("Players Nichelino", "sud-nichelino", 60)]);
        Add(arena, "leaderboard", "centro-porta-nuova", 8 * MB, 60, game, arrival: 50, processing: 400, cpu: 250,
            groups: [("Players Centro", "centro-porta-nuova", 220)]);
        // The AR players have wandered to the Valentino park while their anchors still run in Nichelino: a latency violation to fix.
        // Anchors are large and tolerate a few seconds of freeze; their users' latency is what matters.
        Add(arena, "ar-anchors", "sud-nichelino", 350 * MB, 6_000, new KpiTargets(maxDowntimeMs: 4_000, maxMigrationTimeMs: 30_000, maxUserLatencyMs: 4), cpu: 2_000,
            groups: [("Players Valentino", "centro-san-salvario", 90), ("Players Crocetta", "centro-crocetta", 45)]);
        Add(arena, "voice-chat", "sud-moncalieri", 24 * MB, 800, game, arrival: 400, processing: 380, cpu: 1_000,
            groups: [("Players Moncalieri", "sud-moncalieri", 70), ("Players Lingotto", "sud-lingotto", 110)]);

        return new EdgeInventory([skyfleet, arena], clusters, nodes, links, services, users);
    }

    /// <summary>A name-based Guid (SHA-1 of the name, RFC 9562 version 5 bits), stable across machines.</summary>
    internal static Guid StableGuid(string name)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(Encoding.UTF8.GetBytes("edgeportal-demo:" + name), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private static EdgeCluster Cluster(string name, ClusterKind kind, string region)
        => new(ClusterId.From(StableGuid("cluster:" + name)), name, kind, region);

    private static EdgeNode Node(EdgeCluster cluster, string name, string site, double lat, double lon, int cpu, int memGb,
        string hostClass = "edge-standard")
        => new(NodeId.From(StableGuid("node:" + name)), cluster.Id, name, site, new NodeCapacity(cpu, memGb * GB),
            new GeoLocation(lat, lon), hostClass);

    private static NetworkLink Link(NodeId a, NodeId b, double megabits, double latencyMs)
        => new(LinkId.From(StableGuid($"link:{a}:{b}")), a, b, Bandwidth.FromMegabits(megabits), latencyMs);
}
