using BenchmarkDotNet.Attributes;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.Benchmarks;

// Benchmark classes stay unsealed: BenchmarkDotNet derives from them in the code it generates.

/// <summary>One evaluation of the [PAM] model: must not allocate.</summary>
[MemoryDiagnoser]
public class PamBenchmarks
{
    private readonly PamParameters _parameters = PamParameters.PaperTestbed;
    private long _stateBytes = 10_000_000;
    private double _r = 0.25;
    private double _bandwidth = 125_000;

    [Benchmark(Description = "PAM IterativePreCopy(I=10), 10 MB, 1 Gbit/s")]
    public PamPrediction PreCopy() => PamModel.PreCopy(_stateBytes, _r, _bandwidth, 10, _parameters);

    [Benchmark(Description = "PAM Cold, 10 MB, 1 Gbit/s")]
    public PamPrediction Cold() => PamModel.Cold(_stateBytes, _bandwidth, _parameters);

    [Benchmark(Description = "PAM eq. 34 max iterations")]
    public IterationBudget MaxIterations() => PamConfiguration.MaxIterations(_stateBytes, _r, _bandwidth, 5_000, _parameters);

    [Benchmark(Description = "MS2M replay with cutoff")]
    public ReplayPrediction Cutoff() => ReplayModel.WithCutoff(_stateBytes, _bandwidth, 100, 110, 5_000, _parameters);

    // Keeps the fields from being folded into constants.
    [GlobalSetup]
    public void Setup()
    {
        _stateBytes = 10_000_000;
        _r = 0.25;
        _bandwidth = 125_000;
    }
}

/// <summary>One full design: five strategies evaluated, one chosen, steps and rationale written.</summary>
[MemoryDiagnoser]
public class DesignBenchmarks
{
    private readonly MigrationDesigner _designer = new();
    private DesignRequest _sockPerf = null!;
    private DesignRequest _consumer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var destination = new DestinationCandidate(NodeId.New(), Bandwidth.FromGigabits(1), 3, 0.2, "edge-b");
        _sockPerf = new DesignRequest
        {
            Profile = new WorkloadProfile(10_000_000, 0),
            Source = NodeId.New(),
            Destinations = [destination],
            Targets = new KpiTargets(2_000, 5_000, 10),
            Objective = Objective.MinDowntime,
        };
        _consumer = _sockPerf with { Profile = new WorkloadProfile(10_000_000, 500, 100, 110), Objective = Objective.MinResources };
    }

    [Benchmark(Description = "Design SockPerf 10 MB, MD")]
    public MigrationPlan SockPerf() => _designer.Design(_sockPerf).Plan;

    [Benchmark(Description = "Design message consumer, MR")]
    public MigrationPlan Consumer() => _designer.Design(_consumer).Plan;
}

/// <summary>Re-planning a whole edge: 10,000 services, each ranked over 50 candidate nodes and designed.</summary>
[MemoryDiagnoser]
public class ReplanBenchmarks
{
    private EdgeTopology _topology = null!;
    private Dictionary<TenantId, Tenant> _tenantById = null!;

    [Params(10_000)]
    public int Services { get; set; }

    [GlobalSetup]
    public void Setup() => (_topology, _tenantById) = SyntheticEdge.Build(nodes: 51, Services, seed: 42);

    [Benchmark(Description = "Re-plan all services (placement + design)")]
    public int ReplanAll()
    {
        var planner = new MigrationPlanner(_topology);
        var feasible = 0;
        foreach (var service in _topology.Services)
        {
            var result = planner.Plan(service, _tenantById[service.TenantId]);
            if (result.Feasible)
                feasible++;
        }
        return feasible;
    }

    [Benchmark(Description = "Rank all services (placement only)")]
    public int RankAll()
    {
        var ranker = new PlacementRanker(_topology);
        var candidates = 0;
        foreach (var service in _topology.Services)
            candidates += ranker.Rank(service, _tenantById[service.TenantId]).Candidates.Count;
        return candidates;
    }
}
