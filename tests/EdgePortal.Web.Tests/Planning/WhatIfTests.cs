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

    [Fact]
    public void Parameters_OverheadBelowTheSwitchPart_KeepsTheSetValid()
    {
        var parameters = WhatIf.Parameters(30);

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
