using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using EdgePortal.Testing.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EdgePortal.Testing.Lab;

/// <summary>
/// The registry over TLS with token authentication, as Harbor or a cloud registry runs it: docker-registry's <c>auth:
/// token</c> answers 401 with <c>WWW-Authenticate: Bearer realm=…,service=…,scope=…</c>, and a token service on another
/// port (<see cref="Realm"/>) checks the user and password (Basic) and issues an ES256 JWT for the scope asked, signed by
/// a certificate of <see cref="TestPki.Shared"/> sent in its <c>x5c</c> header, which the registry verifies against the CA.
/// </summary>
public sealed class TokenRegistryFixture : RegistryFixture
{
    private const string Service = "edgeportal-lab-registry";
    private const string Issuer = "edgeportal-lab-token-service";
    private WebApplication? _tokens;
    private int _issued;

    public TokenRegistryFixture()
        : base(secure: true)
    {
    }

    /// <summary>The token service's URL (another port than the registry's: the agent must have it as TokenRealm).</summary>
    public string Realm { get; private set; } = "";

    /// <summary>How many tokens the service issued.</summary>
    public int Issued => Volatile.Read(ref _issued);

    protected override async Task<string> AuthenticationAsync(string folder)
    {
        var signer = TestPki.Shared.Issue("token-signer").Load();
        var password = (await File.ReadAllTextAsync(PasswordFile)).Trim();
        var (app, address) = await LoopbackServer.StartAsync(server => server.MapGet("/token", (HttpContext c) =>
        {
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{password}"));
            if (c.Request.Headers.Authorization.ToString() != expected)
                return Results.Unauthorized();
            var access = c.Request.Query["scope"].Where(s => s is not null).Select(s => s!.Split(':')).Where(p => p.Length == 3)
                .Select(p => new { type = p[0], name = p[1], actions = p[2].Split(',') }).ToArray();
            Interlocked.Increment(ref _issued);
            return Results.Json(new { token = Jwt(signer, access, c.Request.Query["service"].ToString()) });
        }), TestPki.Shared.Issue("registry").Load());
        _tokens = app;
        Realm = new Uri(address, "/token").ToString();
        return $"""
            auth:
              token:
                realm: {Realm}
                service: {Service}
                issuer: {Issuer}
                rootcertbundle: {TestPki.Shared.AuthorityFile}
            """;
    }

    protected override async Task StopAuthenticationAsync()
    {
        if (_tokens is not null)
        {
            await _tokens.StopAsync();
            await _tokens.DisposeAsync();
        }
    }

    /// <summary>A JWT as distribution's token authentication verifies it: ES256, the signing certificate in x5c, iss/aud/exp/access.</summary>
    private static string Jwt(X509Certificate2 signer, object access, string audience)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.SerializeToUtf8Bytes(new { alg = "ES256", typ = "JWT", x5c = new[] { Convert.ToBase64String(signer.RawData) } });
        var claims = JsonSerializer.SerializeToUtf8Bytes(new
        {
            iss = Issuer,
            sub = "edgeportal",
            aud = string.IsNullOrEmpty(audience) ? Service : audience,
            exp = now + 300,
            nbf = now - 10,
            iat = now,
            jti = Guid.NewGuid().ToString("N"),
            access,
        });
        var input = $"{Base64Url(header)}.{Base64Url(claims)}";
        using var key = signer.GetECDsaPrivateKey()!;
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{input}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
