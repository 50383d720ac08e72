using EdgePortal.Core.Calibration;
using EdgePortal.Core.Planning;
using EdgePortal.Storage.Tests.Stores;
using EdgePortal.Testing;

namespace EdgePortal.Storage.Tests.Contracts;

public abstract class CalibrationRepositoryContract(TestStore store) : StoreContract(store)
{
    private static readonly DateTimeOffset At = new(2026, 11, 29, 1, 0, 0, TimeSpan.Zero);

    private ICalibrationRepository Calibrations => Store.Calibrations;

    private static HostCalibration Calibration(string hostClass, DateTimeOffset at, double overheadMs = 80) =>
        LabCalibrations.Fit(hostClass, at, "lab/h1", overheadMs);

    [Fact]
    public void Save_ThenReopenTheFile_TheCalibrationSurvivesWhole()
    {
        var saved = Calibration("lab-x86", At);
        Calibrations.Save(saved);

        Reopen();
        var loaded = Calibrations.Latest("lab-x86");

        Assert.NotNull(loaded);
        Assert.Equal(saved.Id, loaded.Id);
        Assert.Equal(saved.At, loaded.At);
        Assert.Equal("lab/h1", loaded.Host);
        Assert.Equal(saved.Fit.Parameters, loaded.Fit.Parameters);
        Assert.Equal(saved.Fit.Points.Select(p => p.Sample), loaded.Fit.Points.Select(p => p.Sample));
        Assert.Equal(saved.Fit.Points.Select(p => p.PredictedDowntimeMs), loaded.Fit.Points.Select(p => p.PredictedDowntimeMs));
        Assert.Equal(saved.Fit.Estimates, loaded.Fit.Estimates);
        Assert.Equal(saved.Fit.DowntimeRSquared, loaded.Fit.DowntimeRSquared);
        Assert.Equal(saved.Fit.MaxRelativeError, loaded.Fit.MaxRelativeError);
    }

    [Fact]
    public void Latest_TwoCalibrationsOfAClass_TheNewerWinsAndBothAreListed()
    {
        var repository = Calibrations;
        repository.Save(Calibration("lab-x86", At, overheadMs: 80));
        var newer = Calibration("LAB-x86", At.AddHours(1), overheadMs: 120);
        repository.Save(newer);
        repository.Save(Calibration("arm-edge", At));

        Assert.Equal(newer.Id, repository.Latest("lab-X86")!.Id);
        Assert.Equal(["arm-edge", "LAB-x86"], repository.LatestPerHostClass().Select(c => c.HostClass));
        Assert.Equal(3, repository.List().Count);
        Assert.Equal(newer.Id, repository.List()[0].Id);
    }

    [Fact]
    public void Latest_UnknownClass_IsNull()
    {
        Calibrations.Save(Calibration("lab-x86", At));

        Assert.Null(Calibrations.Latest("edge-standard"));
    }

    [Fact]
    public void Save_AfterLatestWasRead_TheCacheIsDropped()
    {
        var repository = Calibrations;
        Assert.Null(repository.Latest("lab-x86"));

        repository.Save(Calibration("lab-x86", At));

        Assert.NotNull(repository.Latest("lab-x86"));
        Assert.NotEqual(PamParameters.PaperTestbedName, repository.Latest("lab-x86")!.Fit.Parameters.Name);
    }
}
