using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePortal.Client;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Testing;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NJsonSchema.CodeGeneration.CSharp;
using NSwag.CodeGeneration.CSharp;
using NSwag.CodeGeneration.OperationNameGenerators;

namespace EdgePortal.Web.Tests.Api;

/// <summary>
/// The typed client in src/EdgePortal.Client is NSwag's C# output for the portal's own OpenAPI document: the committed
/// document must be the live one, the committed code what NSwag generates from it, and the compiled client must work
/// against a portal listening on a real socket. After an API change, run these tests with EDGEPORTAL_UPDATE_CLIENT=1 to
/// write both files anew (then review and commit them).
/// </summary>
public sealed class ClientGenerationTests : IAsyncLifetime
{
    private const string UpdateVariable = "EDGEPORTAL_UPDATE_CLIENT";

    private static readonly string DocumentPath = RepositoryRoot.File("src", "EdgePortal.Client", "openapi.json");
    private static readonly string CodePath = RepositoryRoot.File("src", "EdgePortal.Client", "EdgePortalClient.g.cs");

    private static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    private readonly TempFolder _folder = new();
    private PortalFactory _factory = null!;

    /// <summary>The address the portal listens on (Kestrel, a free loopback port).</summary>
    private Uri Address { get; set; } = null!;

    public Task InitializeAsync()
    {
        _factory = new PortalFactory(_folder.File("client.db"));
        Address = _factory.StartOnKestrel();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        _folder.Dispose();
    }


    /// <summary>The document as committed: indented, with a final newline, so that a diff of it reads well.</summary>
    private static string Canonical(string json)
        => JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            .ReplaceLineEndings("\n") + "\n";

    /// <summary>NSwag's client for <paramref name="document"/>, with the settings the committed client was made with.</summary>
    internal static async Task<string> GenerateAsync(string document)
    {
        var openApi = await NSwag.OpenApiDocument.FromJsonAsync(document);
        var settings = new CSharpClientGeneratorSettings
        {
            ClassName = "EdgePortalClient",
            GenerateClientInterfaces = true,
            InjectHttpClient = true,
            UseBaseUrl = false,
            DisposeHttpClient = false,
            OperationNameGenerator = new SingleClientFromOperationIdOperationNameGenerator(),
            GenerateExceptionClasses = true,
            ExceptionClass = "EdgePortalApiException",
            CSharpGeneratorSettings =
            {
                Namespace = "EdgePortal.Client",
                JsonLibrary = CSharpJsonLibrary.SystemTextJson,
                GenerateNullableReferenceTypes = true,
                GenerateOptionalPropertiesAsNullable = true,
                ClassStyle = CSharpClassStyle.Poco,
                ArrayType = "System.Collections.Generic.List",
                ArrayInstanceType = "System.Collections.Generic.List",
                ArrayBaseType = "System.Collections.Generic.List",
                DateTimeType = "System.DateTimeOffset",
            },
        };
        return new CSharpClientGenerator(openApi, settings).GenerateFile().ReplaceLineEndings("\n");
    }

    private static async Task CheckAsync(string path, string expected, string what)
    {
        var committed = File.Exists(path) ? (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n") : "";
        if (committed == expected)
            return;
        if (Updating)
        {
            await File.WriteAllTextAsync(path, expected);
            return;
        }
        Assert.Fail($"{path} is not {what}. After an API change run `{UpdateVariable}=1 dotnet test tests/EdgePortal.Web.Tests --filter "
            + $"FullyQualifiedName~{nameof(ClientGenerationTests)}`, review the diff and commit it.");
    }

    [Fact]
    public async Task OpenApiDocument_Live_IsTheCommittedCopy()
    {
        using var http = new HttpClient { BaseAddress = Address };

        var live = Canonical(await http.GetStringAsync("/openapi/v1.json"));

        await CheckAsync(DocumentPath, live, "the portal's live /openapi/v1.json");
    }

    [Fact]
    public async Task GeneratedClient_FromTheCommittedDocument_IsTheCommittedCode()
    {
        var generated = await GenerateAsync(await File.ReadAllTextAsync(DocumentPath));

        await CheckAsync(CodePath, generated, "NSwag's client for src/EdgePortal.Client/openapi.json");
    }

    [Fact]
    public async Task Client_AgainstARunningPortal_ListsServicesStartsAndReadsAMigration()
    {
        var connection = new EdgePortalConnection(Address, PortalFactory.BootstrapKey);
        using var http = connection.CreateHttpClient();
        var client = EdgePortalConnection.Client(http);

        var services = await client.ListServicesAsync();
        var service = services.First(s => s.TenantId == DemoEdge.SkyFleet.Value);
        var started = await client.StartMigrationAsync(new StartMigrationBody { ServiceId = service.Id, AcceptTargetMiss = true });
        var read = await client.GetMigrationAsync(started.Id);
        var missing = await Assert.ThrowsAsync<EdgePortalApiException<ProblemDetails>>(() => client.GetMigrationAsync(Guid.NewGuid()));

        Assert.Equal(service.Name, read.ServiceName);
        Assert.Equal(started.Id, read.Id);
        Assert.Equal(404, missing.StatusCode);
        Assert.Equal("Migration not found", missing.Result.Title);
    }
}
