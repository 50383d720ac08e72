namespace EdgePortal.Runtime.Simulated;

/// <summary>Bound to <c>EdgePortal:Seed</c>.</summary>
public sealed class SeedOptions
{
    public const string Section = "EdgePortal:Seed";

    /// <summary>Seed the demo edge into an empty database on start (default true). Set false for a real provider.</summary>
    public bool DemoEdge { get; set; } = true;
}
