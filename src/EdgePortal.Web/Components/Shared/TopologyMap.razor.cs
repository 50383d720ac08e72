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
        _positions = Layout(Model.Clusters);
    }

    /// <summary>
    /// A schematic layout: each cluster is a ring of its nodes, and the clusters sit on a larger ring.
    /// Both rings keep the geographic order (nodes by their bearing from the cluster's centre, clusters
    /// by their bearing from the edge's centre) but space evenly, so a far-out site (an airport) does not
    /// squeeze the city centre into a corner.
    /// </summary>
    internal static Dictionary<NodeId, (double X, double Y)> Layout(IReadOnlyList<ClusterViewModel> clusters)
    {
        var positions = new Dictionary<NodeId, (double X, double Y)>();
        var populated = clusters.Where(c => c.Nodes.Count > 0).ToList();
        if (populated.Count == 0)
            return positions;
        var centre = Centroid(populated.SelectMany(c => c.Nodes));
        var ordered = populated.OrderBy(c => Bearing(centre, Centroid(c.Nodes))).ToList();
        var single = ordered.Count == 1;
        var ringX = single ? 0 : (Width / 2 - Margin) * 0.62;
        var ringY = single ? 0 : (Height / 2 - Margin) * 0.55;
        var clusterRadius = single ? Math.Min(Width, Height) / 2 - Margin : Math.Min(150, Math.Min(ringX, ringY) * 1.05);
        var start = Bearing(centre, Centroid(ordered[0].Nodes));
        for (var k = 0; k < ordered.Count; k++)
        {
            var angle = start + 2 * Math.PI * k / ordered.Count;
            var cx = Width / 2 + ringX * Math.Cos(angle);
            var cy = Height / 2 - ringY * Math.Sin(angle);
            var nodes = ordered[k].Nodes;
            var middle = Centroid(nodes);
            var byBearing = nodes.OrderBy(n => Bearing(middle, n.Location)).ToList();
            var first = byBearing.Count == 1 ? 0 : Bearing(middle, byBearing[0].Location);
            for (var i = 0; i < byBearing.Count; i++)
            {
                var a = first + 2 * Math.PI * i / byBearing.Count;
                var r = byBearing.Count == 1 ? 0 : clusterRadius;
                positions[byBearing[i].Id] = (cx + r * Math.Cos(a), cy - r * Math.Sin(a));
            }
        }
        return positions;
    }

    private static GeoLocation Centroid(IEnumerable<NodeViewModel> nodes)
    {
        var list = nodes.ToList();
        return new GeoLocation(list.Average(n => n.Location.Latitude), list.Average(n => n.Location.Longitude));
    }

    /// <summary>Bearing from one point to another as a math angle (east = 0, north = π/2), in [0, 2π).</summary>
    private static double Bearing(GeoLocation from, GeoLocation to)
    {
        var angle = Math.Atan2(to.Latitude - from.Latitude, (to.Longitude - from.Longitude) * Math.Cos(from.Latitude * Math.PI / 180));
        return angle < 0 ? angle + 2 * Math.PI : angle;
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
