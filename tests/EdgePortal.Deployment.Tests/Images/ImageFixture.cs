using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgePortal.Agent.Criu;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace EdgePortal.Deployment.Tests.Images;

/// <summary>One image built from the repository's Dockerfile: its tag, how long the build took, and its size.</summary>
internal sealed record BuiltImage(string Target, string Tag, TimeSpan BuildTime, long SizeBytes)
{
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Target}: {Tag}, built in {BuildTime.TotalSeconds:F0} s, {SizeBytes / 1e6:F0} MB");
}

/// <summary>
/// Builds the Dockerfile's targets with <c>podman build</c>, once per test run and target, on stand-ins for the .NET base
/// images made on this machine (tools/podman/dotnet-standins.sh, cached). Podman's layer cache and the Dockerfile's NuGet
/// cache make a rebuild of unchanged sources take seconds; the first build on a machine takes minutes (README, "Images").
/// </summary>
public sealed class ImageFixture(IMessageSink sink) : IAsyncLifetime
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(25);
    private readonly ConcurrentDictionary<string, Lazy<Task<BuiltImage>>> _images = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _standins = new(1, 1);
    private bool _standinsReady;

    /// <summary>The tag this checkout builds <paramref name="target"/> under: another worktree's run never replaces it.</summary>
    internal static string TagOf(string target)
    {
        var checkout = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(RepositoryRoot.Path)))[..8];
        return target == "portal" ? $"localhost/edgeportal:test-{checkout}" : $"localhost/edgeportal-{target}:test-{checkout}";
    }

    internal Task<BuiltImage> BuildAsync(string target)
        => _images.GetOrAdd(target, t => new Lazy<Task<BuiltImage>>(() => BuildOnceAsync(t))).Value;

    private async Task<BuiltImage> BuildOnceAsync(string target)
    {
        Podman.EnsureUsable();
        await EnsureStandinsAsync();
        var tag = TagOf(target);
        var stopwatch = Stopwatch.StartNew();
        // --format docker keeps HEALTHCHECK (the OCI format has no place for it); --pull=never: the base images are the
        // stand-ins made above, the registry they are named after cannot be reached from here.
        await Podman.RunCheckedAsync(
            ["build", "--format", "docker", "--pull=never", "--layers", "--target", target, "--tag", tag,
             "--file", RepositoryRoot.File("Dockerfile"), RepositoryRoot.Path],
            BuildTimeout);
        var size = long.Parse((await Podman.RunCheckedAsync(["image", "inspect", "--format", "{{.Size}}", tag], TimeSpan.FromMinutes(1))).Trim(), CultureInfo.InvariantCulture);
        var image = new BuiltImage(target, tag, stopwatch.Elapsed, size);
        sink.OnMessage(new DiagnosticMessage($"image {image}"));
        return image;
    }

    private async Task EnsureStandinsAsync()
    {
        await _standins.WaitAsync();
        try
        {
            if (_standinsReady)
                return;
            var stopwatch = Stopwatch.StartNew();
            using var cancellation = new CancellationTokenSource(BuildTimeout);
            var result = await CommandRunner.RunAsync(RepositoryRoot.File("tools", "podman", "dotnet-standins.sh"), [], cancellation.Token);
            Assert.True(result.ExitCode == 0, $"tools/podman/dotnet-standins.sh exited {result.ExitCode}:\n{Podman.Tail(result.Output, 40)}");
            sink.OnMessage(new DiagnosticMessage($"stand-in base images ready in {stopwatch.Elapsed.TotalSeconds:F0} s"));
            _standinsReady = true;
        }
        finally
        {
            _standins.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _standins.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The tests that build and run images: one at a time (a build takes both cores) and sharing the builds.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ImageCollection : ICollectionFixture<ImageFixture>
{
    public const string Name = "Podman images";
}
