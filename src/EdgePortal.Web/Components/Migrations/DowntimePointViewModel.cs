using EdgePortal.Core.Domain;

namespace EdgePortal.Web.Components.Migrations;

/// <summary>One completed migration as the downtime chart draws it: measured and predicted downtime against its target.</summary>
public sealed record DowntimePointViewModel
{
    public required MigrationId Id { get; init; }
    public required string ServiceName { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public required double PredictedMs { get; init; }
    public required double MeasuredMs { get; init; }
    public required double TargetMs { get; init; }

    public bool MissedTarget => MeasuredMs > TargetMs;

    /// <summary>The completed migrations among <paramref name="rows"/>, oldest first, at most <paramref name="count"/> of the latest.</summary>
    public static IReadOnlyList<DowntimePointViewModel> Recent(IEnumerable<MigrationRowViewModel> rows, int count)
        => [.. rows.Where(r => r.State == MigrationState.Completed && r.MeasuredDowntimeMs is not null && r.FinishedAt is not null)
            .OrderByDescending(r => r.FinishedAt)
            .Take(count)
            .OrderBy(r => r.FinishedAt)
            .Select(r => new DowntimePointViewModel
            {
                Id = r.Id,
                ServiceName = r.ServiceName,
                FinishedAt = r.FinishedAt!.Value,
                PredictedMs = r.PredictedDowntimeMs,
                MeasuredMs = r.MeasuredDowntimeMs!.Value,
                TargetMs = r.TargetDowntimeMs,
            })];
}
