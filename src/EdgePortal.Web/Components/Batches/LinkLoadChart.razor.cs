using System.Text;
using EdgePortal.Core.Domain;
using EdgePortal.Web.Components.Migrations;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Batches;

public partial class LinkLoadChart
{
    // The Gantt's horizontal layout, so that a moment is at the same x in both.
    private const double Width = 1000;
    private const double LabelWidth = 190;
    private const double PlotWidth = 1000 - 190 - 170 - 8;
    private const double Height = 84;
    private const double Top = 6;
    private const double Bottom = 76;

    private readonly string _titleId = "load-title-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _captionId = "load-caption-" + Guid.NewGuid().ToString("N")[..8];

    [Parameter, EditorRequired] public LinkLoadViewModel Link { get; set; } = null!;
    [Parameter, EditorRequired] public double AxisMs { get; set; }
    [Parameter, EditorRequired] public IReadOnlyList<double> Ticks { get; set; } = [];

    private double Max => Math.Max(Math.Max(Link.CapacityBitsPerSecond, Link.PeakBitsPerSecond), 1) * 1.1;

    private string Summary => $"Link {Link.Name}: the batch's plans reserve at most {Bandwidth.Format(Link.PeakBitsPerSecond)} of its {Bandwidth.Format(Link.CapacityBitsPerSecond)}"
        + (Link.Overbooked ? ", more than it carries." : ".");

    private string X(double ms) => MigrationText.Svg(LabelWidth + Math.Clamp(ms / AxisMs, 0, 1) * PlotWidth);

    private string Y(double bitsPerSecond, double offset = 0) => MigrationText.Svg(Bottom - bitsPerSecond / Max * (Bottom - Top) + offset);

    /// <summary>The step line: flat over each step, vertical between them.</summary>
    private string Path
    {
        get
        {
            var path = new StringBuilder();
            foreach (var step in Link.Steps)
            {
                path.Append(path.Length == 0 ? 'M' : 'L').Append(X(step.FromMs)).Append(',').Append(Y(step.BitsPerSecond)).Append(' ');
                path.Append('L').Append(X(step.ToMs)).Append(',').Append(Y(step.BitsPerSecond)).Append(' ');
            }
            return path.ToString().TrimEnd();
        }
    }
}
