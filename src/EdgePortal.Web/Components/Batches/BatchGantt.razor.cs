using EdgePortal.Core.Domain;
using EdgePortal.Web.Components.Migrations;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Batches;

public partial class BatchGantt
{
    private const double Width = 1000;
    private const double LabelWidth = 190;
    private const double RightPad = 8;
    private const double MissWidth = 170;
    private const double AxisHeight = 24;
    private const double RowHeight = 36;
    private const double PlotWidth = Width - LabelWidth - MissWidth - RightPad;

    private readonly string _titleId = "gantt-title-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _captionId = "gantt-caption-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _hatchId = "gantt-hatch-" + Guid.NewGuid().ToString("N")[..8];

    [Parameter, EditorRequired] public BatchChartsViewModel Model { get; set; } = null!;

    private double Height => AxisHeight + Model.Rows.Count * RowHeight + 4;

    private string Summary
        => $"Gantt of {Model.Rows.Count} migrations over {Durations.Format(Model.AxisMs)}: predicted beside actual windows; {Model.Rows.Count(r => r.Misses.Count > 0)} miss a target.";

    private static double RowTop(int index) => AxisHeight + index * RowHeight;

    private string X(double ms) => MigrationText.Svg(LabelWidth + Scale(ms));

    private string W(double ms) => MigrationText.Svg(Math.Max(2, Scale(ms)));

    private double Scale(double ms) => Math.Clamp(ms / Model.AxisMs, 0, 1) * PlotWidth;
}
