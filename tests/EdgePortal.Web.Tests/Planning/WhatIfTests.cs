using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using EdgePortal.Web.Planning;

namespace EdgePortal.Web.Tests.Planning;

/// <summary>The one mapping from a what-if (r, bandwidth, targets) to the designer's request, shared by the API and the Planner page.</summary>
public sealed class WhatIfTests
{
    private static readonly WhatIfInput WorkedExample = new()
    {
        StateSizeBytes = 10_000_000,
        DirtyRateNormalized = 0,
        BandwidthBitsPerSecond = 1e9,
        MaxDowntimeMs = 2_000,
        MaxMigrationTimeMs = 5_000,
    };

    [Theory]
    [InlineData(0)]
    [InlineData(0.37)]
    [InlineData(1)]
    public void ToDesignRequest_DirtyRate_DesignerReadsBackTheSameR(double r)
    {
        var request = WhatIf.ToDesignRequest(WorkedExample with { DirtyRateNormalized = r });

        Assert.Equal(r, request.Parameters.NormalisedDirtyRate(request.Profile), 9);
    }

    [Fact]
    public void ToDesignRequest_WorkedExample_OneSyntheticDestinationOverTheGivenBandwidth()
    {
        var request = WhatIf.ToDesignRequest(WorkedExample with { MessageArrivalRate = 10, MessageProcessingRate = 20, Iterations = 4, Objective = Objective.MinResources });

        var destination = Assert.Single(request.Destinations);
        Assert.Equal(1e9, destination.PathBandwidth.BitsPerSecond);
        Assert.Equal(WhatIf.Destination, destination.Node);
        Assert.NotEqual(request.Source, destination.Node);
        Assert.Equal(10_000_000, request.Profile.StateSizeBytes);
        Assert.Equal(10, request.Profile.MessageArrivalRate);
        Assert.Equal(20, request.Profile.MessageProcessingRate);
        Assert.Equal(4, request.ForcedIterations);
        Assert.Equal(Objective.MinResources, request.Objective);
        Assert.Equal(2_000, request.Targets.MaxDowntimeMs);
        Assert.Equal(5_000, request.Targets.MaxMigrationTimeMs);
        Assert.Same(PamParameters.PaperTestbed, request.Parameters);
    }

    [Fact]
    public void Design_WorkedExample_ReproducesTheDocumentedDowntime()
    {
        var design = WhatIf.Design(WorkedExample);

        Assert.True(design.Feasible);
        Assert.Equal(MigrationStrategy.IterativePreCopy, design.Plan.Strategy);
        Assert.Equal(906.8, design.Plan.PredictedDowntimeMs, 1);
        Assert.DoesNotContain("Users would see", design.Plan.Rationale);
        Assert.EndsWith(".", design.Plan.Rationale);
    }

    /// <summary>A host class's calibration: a faster host than the paper's (T_add 100 ms, of which 40 ms the switch).</summary>
    private static readonly PamParameters Calibrated = PamParameters.PaperTestbed with
    {
        Name = "calibration of host class 'edge-small' (lab/h1, 2026-11-29 03:00 UTC, 24 samples)",
        RuntimeOverheadMs = 100,
        SwitchMs = 40,
    };

    [Fact]
    public void Design_CalibratedParameters_PredictsWithThemAndNamesThem()
    {
        var paper = WhatIf.Design(WorkedExample);
        var design = WhatIf.Design(WorkedExample with { Parameters = Calibrated });

        Assert.Same(Calibrated, WhatIf.ToDesignRequest(WorkedExample with { Parameters = Calibrated }).Parameters);
        // The same plan on a host that adds 141 ms less to the stop-and-copy.
        Assert.Equal(paper.Plan.Strategy, design.Plan.Strategy);
        Assert.Equal(paper.Plan.PredictedDowntimeMs - 141, design.Plan.PredictedDowntimeMs, 6);
        Assert.EndsWith($"Model parameters: {Calibrated.Name}.", design.Plan.Rationale);
        Assert.DoesNotContain("Model parameters", paper.Plan.Rationale);
    }

    [Fact]
    public void Parameters_NoOverheadGiven_KeepsTheSetsOwn()
    {
        Assert.Same(Calibrated, WhatIf.Parameters(WorkedExample with { Parameters = Calibrated }));
        Assert.Same(PamParameters.PaperTestbed, WhatIf.Parameters(WorkedExample));
    }

    [Fact]
    public void Parameters_OverheadOnACalibratedSet_ReplacesItsTAddOnly()
    {
        var parameters = WhatIf.Parameters(WorkedExample with { Parameters = Calibrated, RuntimeOverheadMs = 150 });

        Assert.Equal(Calibrated with { RuntimeOverheadMs = 150 }, parameters);
    }

    [Fact]
    public void Parameters_OverheadBelowTheSwitchPart_KeepsTheSetValid()
    {
        var parameters = WhatIf.Parameters(WorkedExample with { RuntimeOverheadMs = 30 });

        Assert.Equal(30, parameters.RuntimeOverheadMs);
        Assert.Equal(30, parameters.SwitchMs);
        parameters.EnsureValid();
        Assert.True(WhatIf.Design(WorkedExample with { RuntimeOverheadMs = 0 }).Feasible);
    }

    [Fact]
    public void ToDesignRequest_IterationsAboveTheCap_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WhatIf.ToDesignRequest(WorkedExample with { Iterations = PamParameters.PaperTestbed.MaxIterations + 1 }));
    }
}
