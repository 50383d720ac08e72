using k8s;
using k8s.Models;

namespace EdgePortal.Deployment.Tests;

/// <summary>
/// The container and deploy/ start with no known password (issue 14 item 1): Production (no demo users), the first admin
/// from a Secret the operator creates, never from a literal in the repository.
/// </summary>
public sealed class StartsWithNoKnownPasswordTests
{
    private static readonly Dockerfile Image = Dockerfile.Parse(File.ReadAllText(RepositoryRoot.File("Dockerfile")));

    [Fact]
    public void Container_Environment_IsProductionWithoutDemoUsersOrAPassword()
    {
        var env = Image.Final.Environment();

        Assert.Equal("Production", env["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal("false", env["EdgePortal__Seed__DemoUsers"]);
        Assert.DoesNotContain(env.Keys, k => k.Contains("Password", StringComparison.OrdinalIgnoreCase) || k.Contains("ApiKey", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("")]
    [InlineData("replicated")]
    public void Deploy_Portal_TakesItsFirstAdminFromASecretAndRunsInProductionWithoutDemoData(string overlay)
    {
        // What `kubectl apply -k` would apply: deploy/ and the replicated overlay, rendered (an overlay's patch counts).
        var objects = KubernetesYaml.LoadAllFromString(overlay.Length == 0 ? Kustomize.Render() : Kustomize.Render(overlay));
        var container = Assert.Single(objects.OfType<V1Deployment>().Single().Spec.Template.Spec.Containers);
        V1EnvVar Env(string name) => container.Env.Single(e => e.Name == name);

        Assert.Equal("Production", Env("ASPNETCORE_ENVIRONMENT").Value);
        Assert.Equal("false", Env("EdgePortal__Seed__DemoEdge").Value);
        Assert.DoesNotContain(container.Env, e => e.Name == "EdgePortal__Seed__DemoUsers" && e.Value == "true");
        foreach (var secret in new[] { "EdgePortal__Security__AdminUser", "EdgePortal__Security__AdminPassword", "EdgePortal__Security__BootstrapApiKey" })
        {
            Assert.Null(Env(secret).Value);
            Assert.Equal("edgeportal-admin", Env(secret).ValueFrom.SecretKeyRef.Name);
        }
        // Whatever carries a credential (the admin's, the database's and Redis's connection strings) comes from a Secret,
        // and no Secret is rendered from the repository.
        Assert.All(container.Env.Where(e => e.Name.Contains("Password", StringComparison.OrdinalIgnoreCase) || e.Name.Contains("ApiKey", StringComparison.OrdinalIgnoreCase)
            || e.Name.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase) || e.Name == "EdgePortal__Redis__Configuration"), e =>
        {
            Assert.Null(e.Value);
            Assert.NotNull(e.ValueFrom?.SecretKeyRef);
        });
        if (overlay == "replicated")
            Assert.Equal("edgeportal-postgresql", Env("EdgePortal__Storage__ConnectionString").ValueFrom.SecretKeyRef.Name);
        Assert.Empty(objects.OfType<V1Secret>());
        // Secrets are the operator's to create: no kustomization generates one from literals in the repository (the admin's,
        // or the replicated overlay's database and Redis passwords).
        Assert.All(Directory.GetFiles(RepositoryRoot.File("deploy"), "kustomization.yaml", SearchOption.AllDirectories), kustomization =>
        {
            var text = File.ReadAllText(kustomization);
            Assert.DoesNotContain("edgeportal-admin", text, StringComparison.Ordinal);
            Assert.DoesNotContain("secretGenerator", text, StringComparison.Ordinal);
            Assert.DoesNotContain("change-me", text, StringComparison.OrdinalIgnoreCase);
        });
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
    }
}
