using System.Text.RegularExpressions;
using System.Xml.Linq;
using EdgePortal.Agent.Criu;
using EdgePortal.Storage;
using EdgePortal.Web.Hosting;

namespace EdgePortal.Deployment.Tests;

/// <summary>
/// The top-level Dockerfile against the code it packages: versions, paths, user, volume, ports, health check and entry
/// point must agree with the solution. Read, not built: Images/ builds and runs the images with Podman.
/// </summary>
public sealed class DockerfileTests
{
    private const string WebProject = "src/EdgePortal.Web/EdgePortal.Web.csproj";

    private readonly Dockerfile _dockerfile = Dockerfile.Parse(File.ReadAllText(RepositoryRoot.File("Dockerfile")));

    private DockerStage Build => _dockerfile.Stages[0];

    private DockerStage Runtime => _dockerfile.Final;

    private DockerStage AgentBuild => _dockerfile.Stages.Single(s => s.Name == "agent-build");

    private DockerStage Agent => _dockerfile.Stages.Single(s => s.Name == "agent");

    private DockerStage CriuBuild => _dockerfile.Stages.Single(s => s.Name == "criu-build");

    [Fact]
    public void Stages_Always_AreSdkBuildsThenCriuThenAgentThenPortalLast()
    {
        Assert.Equal(["build", "agent-build", "criu-build", "agent", "portal"], _dockerfile.Stages.Select(s => s.Name).ToList());
        Assert.Equal("mcr.microsoft.com/dotnet/sdk", Repository(Build.BaseImage));
        Assert.Equal("mcr.microsoft.com/dotnet/sdk", Repository(AgentBuild.BaseImage));
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet", Repository(Agent.BaseImage));
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet", Repository(Runtime.BaseImage));
        Assert.Equal("portal", Runtime.Name);
        // CRIU is built on the agent's own base: the libraries it links against are the ones the agent stage installs.
        Assert.Equal(Agent.BaseImage, CriuBuild.BaseImage);
    }

    [Fact]
    public void CriuBuild_Always_RunsTheLabsInstallScriptAndTheAgentCopiesItsCriu()
    {
        var script = CriuBuild.All("COPY").Single();
        var source = DockerStage.Command(script)[0];
        var copied = DockerStage.Command(script)[^1];
        var run = CriuBuild.All("RUN").Single();

        Assert.Equal("tools/criu/install.sh", source);
        Assert.True(File.Exists(RepositoryRoot.File(source.Split('/'))), $"{source} is missing");
        Assert.Contains(copied, run.Arguments, StringComparison.Ordinal);
        // `criu check` needs capabilities a build container does not have; the image tests run it in the agent.
        Assert.Contains("CRIU_CHECK=0", run.Arguments, StringComparison.Ordinal);
        var criu = Agent.All("COPY").Single(c => c.Arguments.StartsWith("--from=criu-build", StringComparison.Ordinal) && c.Arguments.Contains("/criu ", StringComparison.Ordinal));
        Assert.Equal([CriuDriver.DefaultPath, CriuDriver.DefaultPath], DockerStage.Command(criu).Skip(1).ToList());
    }

    [Fact]
    public void Agent_Stage_InstallsEveryToolTheAgentRunsAndNoPodman()
    {
        var install = Agent.All("RUN").Single(r => r.Arguments.Contains("apt-get install", StringComparison.Ordinal));
        var packages = Regex.Matches(install.Arguments[install.Arguments.IndexOf("--no-install-recommends", StringComparison.Ordinal)..], @"(?<=\s)[a-z0-9][a-z0-9.+-]+(?=\s|$)")
            .Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

        // nsenter (util-linux), ip (iproute2), nft (nftables), arping (iputils-arping), socat, and curl for HEALTHCHECK; the
        // libraries criu links against come from the list the criu-build stage writes.
        Assert.Subset(packages, new HashSet<string>(["util-linux", "iproute2", "nftables", "iputils-arping", "socat", "curl"], StringComparer.Ordinal));
        Assert.Contains("criu-runtime-packages", install.Arguments, StringComparison.Ordinal);
        // The agent drives the host's Podman through its socket and never runs containers itself.
        Assert.DoesNotContain(packages, p => p.StartsWith("podman", StringComparison.Ordinal) || p is "runc" or "crun" or "buildah" or "conmon");
        Assert.Null(Agent.Last("USER"));
    }

    [Fact]
    public void Agent_Stage_PublishesTheAgentProjectAndRunsIt()
    {
        var publish = AgentBuild.All("RUN").Single(r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        var project = Regex.Match(publish.Arguments, @"(\S+\.csproj)\b").Groups[1].Value;
        var output = Regex.Match(publish.Arguments, @"(?:-o|--output)\s+(\S+)").Groups[1].Value;

        Assert.Equal("src/EdgePortal.Agent/EdgePortal.Agent.csproj", project);
        Assert.True(File.Exists(RepositoryRoot.File(project.Split('/'))), $"{project} does not exist");
        var copy = Agent.All("COPY").Single(c => c.Arguments.StartsWith("--from=agent-build", StringComparison.Ordinal));
        Assert.Equal(output, copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.Equal(["dotnet", "EdgePortal.Agent.dll"], DockerStage.Command(Agent.Last("ENTRYPOINT")!));
        // The port the DaemonSet and the portal's AgentPort default use, HTTPS only, and a health check presenting the agent's own certificate.
        Assert.Equal(8471, Port(Agent.Environment()["ASPNETCORE_URLS"]));
        Assert.StartsWith("https://", Agent.Environment()["ASPNETCORE_URLS"], StringComparison.Ordinal);
        var health = Agent.Last("HEALTHCHECK")!.Arguments;
        Assert.Contains("https://127.0.0.1:8471/healthz", health, StringComparison.Ordinal);
        Assert.Contains("--cert \"$EdgePortal__Agent__Tls__CertificateFile\" --key \"$EdgePortal__Agent__Tls__KeyFile\"", health, StringComparison.Ordinal);
    }

    [Fact]
    public void Stages_Always_UseDotnetMajorVersionOfTargetFramework()
    {
        var targetFramework = XDocument.Load(RepositoryRoot.File("Directory.Build.props")).Descendants("TargetFramework").Single().Value;
        var major = Regex.Match(targetFramework, @"^net(\d+)\.\d+$").Groups[1].Value;
        Assert.NotEmpty(major);

        Assert.All(_dockerfile.Stages, stage => Assert.Equal(major, Tag(stage.BaseImage).Split('.')[0]));
        Assert.Equal($"{major}.0", Tag(Build.BaseImage));
        Assert.Equal($"{major}.0", Tag(Runtime.BaseImage));
    }

    [Fact]
    public void Publish_Always_NamesTheWebProjectThatExists()
    {
        var publish = Build.All("RUN").Single(r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        var project = Regex.Match(publish.Arguments, @"(\S+\.csproj)\b").Groups[1].Value;

        Assert.Equal(WebProject, project);
        Assert.True(File.Exists(RepositoryRoot.File(project.Split('/'))), $"{project} does not exist");
        Assert.Matches(@"-c\s+Release\b", publish.Arguments);
        // The project's folder is in the build context copied into the stage.
        Assert.Contains(Build.All("COPY"), c => DockerStage.Command(c)[0].TrimEnd('/') == project.Split('/')[0]);
    }

    [Fact]
    public void Copy_EveryStage_SourcesExistInRepositoryAndAreNotIgnored()
    {
        var sources = _dockerfile.Stages.SelectMany(stage => stage.All("COPY")).Where(c => !c.Arguments.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(c => DockerStage.Command(c).SkipLast(1)).ToList();

        Assert.NotEmpty(sources);
        Assert.All(sources, s => Assert.True(File.Exists(RepositoryRoot.File(s)) || Directory.Exists(RepositoryRoot.File(s)), $"COPY source {s} is missing"));
        var ignored = File.ReadAllLines(RepositoryRoot.File(".dockerignore")).Select(l => l.Trim().TrimEnd('/')).Where(l => l.Length > 0 && !l.StartsWith('#'));
        Assert.All(sources, s => Assert.DoesNotContain(s.TrimEnd('/'), ignored));
    }

    [Fact]
    public void Copy_WebRoot_IsInsideTheBuildStage()
    {
        // The static assets may live at the repository root (DESIGN.md), linked into the web project by a
        // symlink or by <Content Include="..\..\wwwroot\**" LinkBase="wwwroot" />; either way the image needs them.
        var webRoot = WebRootFolder();
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.Path, webRoot, "css", "edgeportal.css")), $"{webRoot} has no css/edgeportal.css");

        var copied = Build.All("COPY").Where(c => !c.Arguments.StartsWith("--from", StringComparison.Ordinal))
            .Select(c => DockerStage.Command(c)[0].TrimEnd('/')).ToList();
        Assert.Contains(copied, source => webRoot == source || webRoot.StartsWith(source + "/", StringComparison.Ordinal));
    }

    [Fact]
    public void Runtime_Always_CopiesPublishOutputFromBuildStageIntoWorkdir()
    {
        var publish = Build.All("RUN").Single(r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        var output = Regex.Match(publish.Arguments, @"(?:-o|--output)\s+(\S+)").Groups[1].Value;
        var copy = Runtime.All("COPY").Single(c => c.Arguments.StartsWith("--from", StringComparison.Ordinal));

        Assert.Equal($"--from={Build.Name}", copy.Arguments.Split(' ')[0]);
        Assert.Equal(output.TrimEnd('/'), copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1].TrimEnd('/'));
        Assert.Equal("/app", Runtime.Last("WORKDIR")?.Arguments);
    }

    [Fact]
    public void User_Runtime_IsNonRootAndOwnsTheDataFolder()
    {
        var user = Runtime.Last("USER")?.Arguments.Split(':')[0];

        Assert.NotNull(user);
        Assert.DoesNotContain(user, new[] { "root", "0" });
        // USER comes after everything that needs root (apt-get, chown).
        Assert.True(Runtime.Instructions.ToList().FindLastIndex(i => i.Keyword == "RUN") < Runtime.Instructions.ToList().FindLastIndex(i => i.Keyword == "USER"));
        Assert.Contains(Runtime.All("RUN"), r => Regex.IsMatch(r.Arguments, $@"chown\s+(-R\s+)?{Regex.Escape(user)}(:\S+)?\s+/data\b"));
    }

    [Fact]
    public void Volume_Runtime_IsDataAndHoldsTheDatabaseFile()
    {
        var volume = Runtime.Last("VOLUME")!;
        var volumes = volume.Arguments.StartsWith('[') ? DockerStage.Command(volume) : volume.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["/data"], volumes);

        var env = Runtime.Environment();
        const string variable = "EdgePortal__Storage__Path";
        Assert.Equal($"{StorageOptions.Section}:Path", variable.Replace("__", ":", StringComparison.Ordinal));
        Assert.True(env.TryGetValue(variable, out var path), $"{variable} is not set");
        Assert.StartsWith("/data/", path);
        Assert.True(Path.GetFileName(path).Length > 0);
    }

    [Fact]
    public void Expose_Runtime_IsThePortOfAspnetcoreUrls()
    {
        var url = Runtime.Environment()["ASPNETCORE_URLS"];
        var listening = Port(url);

        var exposed = Runtime.All("EXPOSE").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => int.Parse(p.Split('/')[0])).ToList();

        Assert.Equal([listening], exposed);
    }

    [Fact]
    public void Healthcheck_Runtime_ProbesHealthzOnTheListeningPortWithAnInstalledTool()
    {
        var check = Runtime.Last("HEALTHCHECK")!;
        var command = check.Arguments[(check.Arguments.IndexOf("CMD", StringComparison.Ordinal) + 3)..].Trim();
        var probe = new Uri(Regex.Match(command, @"https?://\S+").Value);

        Assert.Equal("/healthz", probe.AbsolutePath);
        Assert.Equal(Port(Runtime.Environment()["ASPNETCORE_URLS"]), probe.Port);
        // aspnet images ship without curl or wget: the stage must install the probe's tool itself.
        var tool = command.Split(' ')[0];
        Assert.Contains(Runtime.All("RUN"), r => Regex.IsMatch(r.Arguments, $@"apt-get\s+install\b.*\b{Regex.Escape(tool)}\b"));
    }

    [Fact]
    public void Entrypoint_Runtime_RunsTheWebProjectsAssembly()
    {
        var csproj = XDocument.Load(RepositoryRoot.File(WebProject.Split('/')));
        var assemblyName = csproj.Descendants("AssemblyName").SingleOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(WebProject);
        Assert.Equal(typeof(EdgePortalHosting).Assembly.GetName().Name, assemblyName);

        var entrypoint = DockerStage.Command(Runtime.Last("ENTRYPOINT")!);

        Assert.Equal(["dotnet", $"{assemblyName}.dll"], entrypoint);
        Assert.True(Runtime.Last("ENTRYPOINT")!.Arguments.StartsWith('['), "ENTRYPOINT should use the exec form so dotnet gets SIGTERM");
    }

    /// <summary>Where the web project's wwwroot really is, relative to the repository root, with '/' separators.</summary>
    private static string WebRootFolder()
    {
        var projectFolder = Path.GetDirectoryName(RepositoryRoot.File(WebProject.Split('/')))!;
        var linked = XDocument.Load(RepositoryRoot.File(WebProject.Split('/'))).Descendants("Content")
            .FirstOrDefault(c => (string?)c.Attribute("LinkBase") == "wwwroot")?.Attribute("Include")?.Value;
        var folder = new DirectoryInfo(Path.Combine(projectFolder, "wwwroot"));
        var full = linked is not null
            ? Path.GetFullPath(Path.Combine(projectFolder, linked.Replace('\\', '/').Replace("/**", "").Replace("**", "")))
            : folder.LinkTarget is { } target ? Path.GetFullPath(Path.Combine(projectFolder, target)) : folder.FullName;
        return Path.GetRelativePath(RepositoryRoot.Path, full).Replace('\\', '/');
    }

    private static string Repository(string image) => image.Split(':')[0];

    private static string Tag(string image) => image.Contains(':') ? image.Split(':')[1] : "latest";

    private static int Port(string urls)
    {
        var ports = urls.Split(';').Select(u => new Uri(u.Replace("://+", "://localhost").Replace("://*", "://localhost")).Port).Distinct().ToList();
        return Assert.Single(ports);
    }
}
