namespace EdgePortal.Storage;

/// <summary>Bound to <c>EdgePortal:Storage</c> (environment: <c>EdgePortal__Storage__Path</c>).</summary>
public sealed class StorageOptions
{
    public const string Section = "EdgePortal:Storage";

    /// <summary>The LiteDB file. Relative paths are resolved against the content root; default <c>data/edgeportal.db</c>.</summary>
    public string Path { get; set; } = System.IO.Path.Combine("data", "edgeportal.db");
}
