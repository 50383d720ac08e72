namespace EdgePortal.Testing;

/// <summary>The checkout the tests run from.</summary>
public static class RepositoryRoot
{
    /// <summary>The folder holding EdgePortal.sln, found by walking up from the test binaries.</summary>
    public static string Path { get; } = Find();

    /// <summary>A path below the checkout's root.</summary>
    public static string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "EdgePortal.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No EdgePortal.sln above {AppContext.BaseDirectory}.");
    }
}
