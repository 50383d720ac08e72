using System.Security.Claims;
using EdgePortal.Core.Calibration;
using EdgePortal.Core.Security;
using EdgePortal.Web.Calibration;
using EdgePortal.Web.Security;
using EdgePortal.Core.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgePortal.Web.Api;

/// <summary>One measured Cold migration as <c>POST /api/v1/calibrations</c> takes it (see <see cref="CalibrationSample"/> for each field).</summary>
public sealed record CalibrationSampleBody(
    double? StateSizeBytes,
    double? DirtyPagesPerSecond,
    double? BandwidthBitsPerSecond,
    double? DumpMs,
    double? PagesWritten,
    double? ImageBytes,
    double? TransferMs,
    double? RestoreMs,
    double? DowntimeMs,
    double? LiveFreezeMs = null,
    double? LazyDumpMs = null,
    double? LazyRestoreMs = null,
    double? PageInMs = null);

/// <summary>The body of <c>POST /api/v1/calibrations</c>: a calibration measured elsewhere, for a host class.</summary>
public sealed record CalibrationBody(string? HostClass, string? Host, IReadOnlyList<CalibrationSampleBody?>? Samples);

public static class CalibrationsApi
{
    /// <summary>More samples than any grid needs: a body this large is a mistake, not a calibration.</summary>
    public const int MaxSamples = 10_000;

    public static IEndpointRouteBuilder MapCalibrationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/calibrations").WithTags("Calibration");
        api.MapGet("/", List)
            .RequireAuthorization(PortalPolicies.Provider)
            .WithName("ListCalibrations").WithSummary("Stored calibrations, newest first (the newest of each host class is the one plans use): fitted parameters, each parameter's provenance, every sample beside its prediction, R² and the largest relative error.");
        api.MapPost("/", Create).RequireAuthorization(PortalPolicies.ProviderAdmin)
            .WithName("CreateCalibration").WithSummary("Fit and store a calibration measured elsewhere: {hostClass, host, samples: [{stateSizeBytes, dirtyPagesPerSecond, bandwidthBitsPerSecond?, dumpMs, pagesWritten?, imageBytes?, transferMs, restoreMs, downtimeMs, liveFreezeMs?, lazyDumpMs?, lazyRestoreMs?, pageInMs?}]} → 201 with the fit; 400 naming the field (too few samples, a single state size).");
        return app;
    }

    private static Results<Ok<IReadOnlyList<HostCalibration>>, ValidationProblem> List(ICalibrationRepository calibrations, int? limit)
        => limit is < 1 or > 1_000
            ? ApiProblems.Invalid("limit", $"limit must lie in 1..1000 (was {limit}).")
            : TypedResults.Ok(calibrations.List(limit ?? 100));

    private static Results<Created<HostCalibration>, ValidationProblem> Create(CalibrationBody? body, ICalibrationRepository calibrations, ClaimsPrincipal user,
        TimeProvider clock, IAuditLog audit)
    {
        var errors = new FieldErrors();
        if (body is null)
            return ApiProblems.MissingBody("A JSON body with hostClass, host and samples is required.");
        if (string.IsNullOrWhiteSpace(body.HostClass))
            errors.Add("hostClass", "hostClass is required: the class of hosts the calibration applies to (a node's hostClass).");
        else
            errors.Text("hostClass", body.HostClass, InputLimits.Expression);
        if (string.IsNullOrWhiteSpace(body.Host))
            errors.Add("host", "host is required: where the samples were measured.");
        else
            errors.Text("host", body.Host, InputLimits.Expression);
        if (body.Samples is null)
        {
            errors.Add("samples", "samples is required: a list of measured Cold migrations.");
            return errors.ToProblem();
        }
        if (body.Samples.Count > MaxSamples)
        {
            errors.Add("samples", $"samples must hold at most {MaxSamples} entries (was {body.Samples.Count}).");
            return errors.ToProblem();
        }
        var samples = new List<CalibrationSample?>(body.Samples.Count);
        for (var i = 0; i < body.Samples.Count; i++)
            samples.Add(Read(body.Samples[i], $"samples[{i}]", errors));
        if (errors.Any)
            return errors.ToProblem();
        foreach (var problem in PamCalibrator.Validate(samples))
            errors.Add(problem.Field, problem.Message);
        if (errors.Any)
            return errors.ToProblem("The samples cannot be fitted.");

        var actor = TenantScope.Of(user).Actor;
        var calibration = HostCalibration.Create(body.HostClass!, body.Host!, samples!, clock.GetUtcNow(), actor);
        calibrations.Save(calibration);
        audit.Append(CalibrationAudit.Entry(calibration, actor, calibration.At));
        return TypedResults.Created($"/api/v1/calibrations/{calibration.Id}", calibration);
    }

    /// <summary>One sample, field by field; null when it is missing or any field is wrong (each named in <paramref name="errors"/>).</summary>
    private static CalibrationSample? Read(CalibrationSampleBody? body, string field, FieldErrors errors)
    {
        if (body is null)
        {
            errors.Add(field, $"{field} must be an object.");
            return null;
        }
        var before = errors.Count;
        var size = errors.Number($"{field}.stateSizeBytes", body.StateSizeBytes, min: 0, exclusiveMin: true, max: 1e13);
        var rate = errors.Number($"{field}.dirtyPagesPerSecond", body.DirtyPagesPerSecond ?? 0, min: 0);
        var bandwidth = errors.Number($"{field}.bandwidthBitsPerSecond", body.BandwidthBitsPerSecond, min: 0, exclusiveMin: true, required: false);
        var dump = errors.Number($"{field}.dumpMs", body.DumpMs, min: 0);
        var pages = errors.Number($"{field}.pagesWritten", body.PagesWritten, min: 0, required: false);
        var image = errors.Number($"{field}.imageBytes", body.ImageBytes, min: 0, max: 1e15, required: false);
        var transfer = errors.Number($"{field}.transferMs", body.TransferMs ?? 0, min: 0);
        var restore = errors.Number($"{field}.restoreMs", body.RestoreMs, min: 0);
        var downtime = errors.Number($"{field}.downtimeMs", body.DowntimeMs, min: 0);
        var liveFreeze = errors.Number($"{field}.liveFreezeMs", body.LiveFreezeMs, min: 0, required: false);
        var lazyDump = errors.Number($"{field}.lazyDumpMs", body.LazyDumpMs, min: 0, required: false);
        var lazyRestore = errors.Number($"{field}.lazyRestoreMs", body.LazyRestoreMs, min: 0, required: false);
        var pageIn = errors.Number($"{field}.pageInMs", body.PageInMs, min: 0, required: false);
        if (errors.Count > before)
            return null;
        return new CalibrationSample
        {
            StateSizeBytes = (long)Math.Ceiling(size!.Value),
            DirtyPagesPerSecond = rate!.Value,
            BandwidthBitsPerSecond = bandwidth,
            DumpMs = dump!.Value,
            PagesWritten = pages,
            ImageBytes = image is { } b ? (long)b : null,
            TransferMs = transfer!.Value,
            RestoreMs = restore!.Value,
            DowntimeMs = downtime!.Value,
            LiveFreezeMs = liveFreeze,
            LazyDumpMs = lazyDump,
            LazyRestoreMs = lazyRestore,
            PageInMs = pageIn,
        };
    }
}
