using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Web.Inventory;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Shared;

public partial class TopologyMap
{
    public const double Width = 1000;
    public const double Height = 640;
    private const double Margin = 60;
    private static readonly string[] Palette = ["#1c7ed6", "#2f9e44", "#e8590c", "#ae3ec9", "#0c8599", "#f08c00"];

    private Dictionary<NodeId, (double X, double Y)> _positions = [];
    private Dictionary<NodeId, string> _names = [];
    private Dictionary<NodeId, NodeViewModel> _nodes = [];
    private ILookup<NodeId, ServiceViewModel> _servicesByNode = Array.Empty<ServiceViewModel>().ToLookup(s => s.NodeId);

    [Parameter, EditorRequired] public TopologyViewModel Model { get; set; } = null!;
    [Parameter] public string Title { get; set; } = "Edge topology";
    /// <summary>
    /// Overlays drawn on top (migration arrows), in the map's coordinates. The map cascades itself to them,
    /// so an overlay component takes <c>[CascadingParameter] TopologyMap</c> and asks it where nodes are.
    /// </summary>
    [Parameter] public RenderFragment? ChildContent { get; set; }

    /// <summary>Legend entries for what the overlays draw, after the map's own.</summary>
    [Parameter] public RenderFragment? LegendContent { get; set; }

    /// <summary>Where a node is drawn, for overlays.</summary>
    public (double X, double Y) PositionOf(NodeId node) => _positions[node];

    /// <summary>Where a node is drawn, or false when the map does not show it (a node removed since).</summary>
    public bool TryGetPosition(NodeId node, out (double X, double Y) position) => _positions.TryGetValue(node, out position);

    /// <summary>The radius of a node's circle, so that overlays can stop at its rim; 0 for a node the map does not show.</summary>
    public double RadiusOf(NodeId node) => _nodes.TryGetValue(node, out var n) ? NodeRadius(n) : 0;

    protected override void OnParametersSet()
    {
        var nodes = Model.Nodes.ToList();
        _names = nodes.ToDictionary(n => n.Id, n => n.Name);
        _nodes = nodes.ToDictionary(n => n.Id);
        _servicesByNode = Model.Services.ToLookup(s => s.NodeId);
        _positions = Project(nodes);
    }

    /// <summary>An equirectangular projection of the nodes' coordinates into the drawing, preserving aspect.</summary>
    internal static Dictionary<NodeId, (double X, double Y)> Project(IReadOnlyList<NodeViewModel> nodes)
    {
        if (nodes.Count == 0)
            return [];
        var minLat = nodes.Min(n => n.Location.Latitude);
        var maxLat = nodes.Max(n => n.Location.Latitude);
        var minLon = nodes.Min(n => n.Location.Longitude);
        var maxLon = nodes.Max(n => n.Location.Longitude);
        var lonScale = Math.Cos((minLat + maxLat) / 2 * Math.PI / 180);
        var spanX = Math.Max((maxLon - minLon) * lonScale, 1e-6);
        var spanY = Math.Max(maxLat - minLat, 1e-6);
        var scale = Math.Min((Width - 2 * Margin) / spanX, (Height - 2 * Margin) / spanY);
        var offsetX = (Width - spanX * scale) / 2;
        var offsetY = (Height - spanY * scale) / 2;
        return nodes.ToDictionary(n => n.Id, n => (
            offsetX + (n.Location.Longitude - minLon) * lonScale * scale,
            offsetY + (maxLat - n.Location.Latitude) * scale));
    }

    private string ClusterColour(ClusterViewModel cluster)
    {
        var index = Model.Clusters.ToList().FindIndex(c => c.Id == cluster.Id);
        return Palette[index % Palette.Length];
    }

    private static double NodeRadius(NodeViewModel node) => 8 + 2 * Math.Log2(node.CpuMillicores / 4_000.0);

    /// <summary>1 px at 100 Mbit/s, about 3.5 px at 1 Gbit/s, 6 px at 10 Gbit/s.</summary>
    private static double LinkWidth(LinkViewModel link) => Math.Max(1, 1 + 2.5 * Math.Log10(link.BandwidthBitsPerSecond / 1e8));

    private string LinkTitle(LinkViewModel link)
        => $"{_names[link.NodeA]} ↔ {_names[link.NodeB]}: {Bandwidth.Format(link.BandwidthBitsPerSecond)}, {link.LatencyMs.ToString("0.0", CultureInfo.InvariantCulture)} ms";

    private static (double X, double Y) UserOffset(UserGroupViewModel group)
    {
        // A stable angle per group (string hashes are randomised per process; this one is not).
        var hash = group.ServiceId.Value.GetHashCode();
        foreach (var c in group.Name)
            hash = unchecked(hash * 31 + c);
        var angle = Math.Abs(hash % 360) * Math.PI / 180;
        return (22 * Math.Cos(angle), 22 * Math.Sin(angle));
    }

    private static string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
