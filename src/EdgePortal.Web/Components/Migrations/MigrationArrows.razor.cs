using EdgePortal.Core.Domain;
using EdgePortal.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Migrations;

public partial class MigrationArrows
{
    /// <summary>The map this overlay is drawn on; it cascades itself to its ChildContent.</summary>
    [CascadingParameter] public TopologyMap? Map { get; set; }

    /// <summary>The migrations to draw (those in flight); one whose nodes the map does not show is left out.</summary>
    [Parameter, EditorRequired] public IReadOnlyList<MigrationRowViewModel> Migrations { get; set; } = [];

    private IEnumerable<Arrow> Arrows()
    {
        foreach (var m in Migrations)
        {
            if (!Map!.TryGetPosition(m.Source, out var a) || !Map.TryGetPosition(m.Destination, out var b))
                continue;
            var dx = b.X - a.X;
            var dy = b.Y - a.Y;
            var length = Math.Sqrt(dx * dx + dy * dy);
            if (length < 1)
                continue;
            var (ux, uy) = (dx / length, dy / length);
            // Bend to the left of the direction of travel, so that two opposite migrations do not overlap.
            var (nx, ny) = (uy, -ux);
            var bend = Math.Min(60, length * 0.18);
            var startGap = Map.RadiusOf(m.Source) + 4;
            var endGap = Map.RadiusOf(m.Destination) + 6;
            var (sx, sy) = (a.X + ux * startGap + nx * 4, a.Y + uy * startGap + ny * 4);
            var (ex, ey) = (b.X - ux * endGap + nx * 4, b.Y - uy * endGap + ny * 4);
            var (cx, cy) = ((a.X + b.X) / 2 + nx * bend, (a.Y + b.Y) / 2 + ny * bend);
            // The curve's midpoint (t = 1/2 of the quadratic), with the label a little further out.
            var (mx, my) = ((sx + 2 * cx + ex) / 4, (sy + 2 * cy + ey) / 4);
            var path = $"M{MigrationText.Svg(sx)},{MigrationText.Svg(sy)} Q{MigrationText.Svg(cx)},{MigrationText.Svg(cy)} {MigrationText.Svg(ex)},{MigrationText.Svg(ey)}";
            yield return new Arrow(m, path, mx + nx * 12, my + ny * 12 + 4);
        }
    }

    private static string Label(MigrationRowViewModel m)
        => m.State == MigrationState.RollingBack ? $"{m.ServiceName} · rolling back" : $"{m.ServiceName} · {m.Progress:P0}";

    /// <summary>Starts with the label drawn beside the arrow, so the link's name contains what a sighted user reads (WCAG 2.5.3 label in name).</summary>
    private static string Describe(MigrationRowViewModel m)
        => $"{Label(m)}: moving from {m.SourceName} to {m.DestinationName} ({MigrationText.Strategy(m.Strategy)}), "
           + (m.State == MigrationState.RollingBack ? "rolling back" : $"{m.StepsDone} of {m.StepCount} steps done{(m.CurrentStep is { } s ? $", {s} running" : "")}");

    private sealed record Arrow(MigrationRowViewModel Migration, string Path, double LabelX, double LabelY);
}
