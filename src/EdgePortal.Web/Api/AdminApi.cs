using System.Security.Claims;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgePortal.Web.Api;

public sealed record UserBody(string? UserName, string? Password, string? Role, Guid? TenantId);

/// <summary>A change to an account: any of its role, tenant, disabled state and (local accounts) password; what is left out stays.</summary>
public sealed record UserChangeBody(string? Role, Guid? TenantId, bool? Disabled, string? Password);

public sealed record ApiKeyBody(string? Name, string? Role, Guid? TenantId, DateTimeOffset? ExpiresAt);

public sealed record QuotaBody(int? MaxConcurrentMigrations, double? MaxReservedBandwidthBitsPerSecond);

/// <summary>A new tenant: its name, the clusters it may use (ids), its services' default objective (MinDowntime unless given) and quotas.</summary>
public sealed record TenantBody(string? Name, IReadOnlyList<Guid>? AllowedClusters, string? DefaultObjective, int? MaxConcurrentMigrations,
    double? MaxReservedBandwidthBitsPerSecond, bool? AllowPostCopy = null);

/// <summary>Whether a tenant accepts post-copy for services that ask for it (KubeVirt's allowPostCopy; off by default).</summary>
public sealed record PostCopyBody(bool? AllowPostCopy);

/// <summary>The clusters a tenant may use, by id (an empty list: none).</summary>
public sealed record TenantClustersBody(IReadOnlyList<Guid>? AllowedClusters);

/// <summary>A user as the API shows it: never the password hash nor the security stamp. <see cref="Sso"/>: signed in by the identity provider.</summary>
public sealed record UserView(Guid Id, string UserName, string Role, Guid? TenantId, bool Disabled, bool Sso, DateTimeOffset CreatedAt)
{
    public static UserView From(PortalUser u) => new(u.Id, u.UserName, u.Role, u.TenantId, u.Disabled, u.ExternalIssuer is not null, u.CreatedAt);
}

/// <summary>A key as the API lists it: never the hash. <see cref="Key"/> is set once, in the answer to its creation.</summary>
public sealed record ApiKeyView(Guid Id, string Name, string Prefix, string Role, Guid? TenantId, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt, string CreatedBy, string? Key = null)
{
    public static ApiKeyView From(ApiKey k, string? key = null) => new(k.Id, k.Name, k.Prefix, k.Role, k.TenantId, k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.CreatedBy, key);
}

public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1").WithTags("Administration").RequireAuthorization(PortalPolicies.UserAdmin);
        admin.MapGet("/users", (UserAdministration a, ClaimsPrincipal user) => TypedResults.Ok(a.Users(TenantScope.Of(user)).Select(UserView.From).ToList()))
            .WithName("ListUsers").WithSummary("Accounts (a tenant admin: its tenant's).");
        admin.MapPost("/users", CreateUser).WithName("CreateUser").WithSummary("Create an account; a tenant admin creates only tenant roles in its tenant; user names cannot start with sso: or key:.");
        admin.MapPatch("/users/{id:guid}", ChangeUser).WithName("ChangeUser")
            .WithSummary("Change an account's role, tenant, disabled state or password; its open sessions end within a minute when its access changes.");
        admin.MapDelete("/users/{id:guid}", DeleteUser).WithName("DeleteUser").WithSummary("Delete an account.");
        admin.MapGet("/keys", (UserAdministration a, ClaimsPrincipal user) => TypedResults.Ok(a.Keys(TenantScope.Of(user)).Select(k => ApiKeyView.From(k)).ToList()))
            .WithName("ListKeys").WithSummary("API keys (never their value).");
        admin.MapPost("/keys", CreateKey).WithName("CreateKey").WithSummary("Create an API key with a role and an optional expiry; the key is in this answer only.");
        admin.MapPost("/keys/{id:guid}/revoke", RevokeKey).WithName("RevokeKey").WithSummary("Revoke an API key: it is refused from now on.");

        var tenants = app.MapGroup("/api/v1/tenants").WithTags("Administration").RequireAuthorization(PortalPolicies.ProviderAdmin);
        tenants.MapGet("/", (IInventoryRepository inventory) => TypedResults.Ok(inventory.Tenants())).WithName("ListTenants").WithSummary("Tenants with their allowed clusters and quotas.");
        tenants.MapGet("/{id:guid}", GetTenant).WithName("GetTenant").WithSummary("One tenant.");
        tenants.MapPost("/", CreateTenant).WithName("CreateTenant").WithSummary("Create a tenant: a unique name, the clusters it may use (ids), its default objective and quotas (left out: EdgePortal:Limits:NewTenantQuotas).");
        tenants.MapPut("/{id:guid}/clusters", SetClusters)
            .WithName("SetTenantClusters").WithSummary("Set the clusters a tenant may use (ids); a cluster where it still runs services cannot be left out.");
        tenants.MapPut("/{id:guid}/post-copy", SetPostCopy).WithName("SetTenantPostCopy").WithSummary("Allow or forbid post-copy for the tenant's services that ask for it (allowPostCopy, off by default): during post-copy's page-in a service depends on its source, and a source failure then loses it.");
        tenants.MapPut("/{id:guid}/quotas", SetQuotas).WithName("SetTenantQuotas").WithSummary("Set a tenant's quotas: max concurrent migrations, max reserved bandwidth (null: none).");
        return app;
    }

    private static Results<Created<UserView>, ValidationProblem, NotFoundProblem> CreateUser(UserBody? body, UserAdministration admin, ClaimsPrincipal user)
        => body is null ? ApiProblems.MissingBody()
            : admin.CreateUser(TenantScope.Of(user), body.UserName, body.Password, body.Role, body.TenantId) switch
            {
                UseCaseResult<PortalUser>.Done d => TypedResults.Created($"/api/v1/users/{d.Value.Id}", UserView.From(d.Value)),
                UseCaseResult<PortalUser>.Invalid i => ApiProblems.Invalid(i),
                UseCaseResult<PortalUser>.NotFound n => ApiProblems.NotFound("User", n),
                var other => throw ApiProblems.Unexpected(other),
            };

    private static Results<Ok<UserView>, ValidationProblem, NotFoundProblem> ChangeUser(Guid id, UserChangeBody? body, UserAdministration admin, ClaimsPrincipal user)
        => body is null ? ApiProblems.MissingBody()
            : admin.ChangeUser(TenantScope.Of(user), id, body.Role, body.TenantId, body.Disabled, body.Password) switch
            {
                UseCaseResult<PortalUser>.Done d => TypedResults.Ok(UserView.From(d.Value)),
                UseCaseResult<PortalUser>.Invalid i => ApiProblems.Invalid(i),
                UseCaseResult<PortalUser>.NotFound n => ApiProblems.NotFound("User", n),
                var other => throw ApiProblems.Unexpected(other),
            };

    private static Results<NoContent, ValidationProblem, NotFoundProblem> DeleteUser(Guid id, UserAdministration admin, ClaimsPrincipal user)
        => admin.DeleteUser(TenantScope.Of(user), id) switch
        {
            UseCaseResult<PortalUser>.Done => TypedResults.NoContent(),
            UseCaseResult<PortalUser>.Invalid i => ApiProblems.Invalid(i),
            UseCaseResult<PortalUser>.NotFound n => ApiProblems.NotFound("User", n),
            var other => throw ApiProblems.Unexpected(other),
        };

    private static Results<Created<ApiKeyView>, ValidationProblem, NotFoundProblem> CreateKey(ApiKeyBody? body, UserAdministration admin, ClaimsPrincipal user,
        TimeProvider clock)
        => body is null ? ApiProblems.MissingBody()
            : admin.CreateKey(TenantScope.Of(user), body.Name, body.Role, body.TenantId, body.ExpiresAt, clock.GetUtcNow()) switch
            {
                UseCaseResult<CreatedApiKey>.Done d => TypedResults.Created($"/api/v1/keys/{d.Value.Record.Id}", ApiKeyView.From(d.Value.Record, d.Value.Key)),
                UseCaseResult<CreatedApiKey>.Invalid i => ApiProblems.Invalid(i),
                UseCaseResult<CreatedApiKey>.NotFound n => ApiProblems.NotFound("API key", n),
                var other => throw ApiProblems.Unexpected(other),
            };

    private static Results<Ok<ApiKeyView>, NotFoundProblem> RevokeKey(Guid id, UserAdministration admin, ClaimsPrincipal user)
        => admin.RevokeKey(TenantScope.Of(user), id) switch
        {
            UseCaseResult<ApiKey>.Done d => TypedResults.Ok(ApiKeyView.From(d.Value)),
            UseCaseResult<ApiKey>.NotFound n => ApiProblems.NotFound("API key", n),
            var other => throw ApiProblems.Unexpected(other),
        };

    private static Results<Ok<Tenant>, NotFoundProblem> GetTenant(Guid id, IInventoryRepository inventory)
        => inventory.FindTenant(TenantId.From(id)) is { } t ? TypedResults.Ok(t) : ApiProblems.NotFound("Tenant", id);

    private static Results<Created<Tenant>, ValidationProblem, NotFoundProblem> CreateTenant(TenantBody? body, UserAdministration admin, ClaimsPrincipal user)
    {
        if (body is null)
            return ApiProblems.MissingBody();
        var errors = new FieldErrors();
        var objective = errors.Enum<Objective>("defaultObjective", body.DefaultObjective);
        if (body.AllowedClusters?.Count > InputLimits.ListCount)
            errors.Add("allowedClusters", $"allowedClusters must list at most {InputLimits.ListCount} ids.");
        if (errors.Any)
            return errors.ToProblem();
        return admin.CreateTenant(TenantScope.Of(user), body.Name, body.AllowedClusters, objective ?? Objective.MinDowntime,
            body.MaxConcurrentMigrations, body.MaxReservedBandwidthBitsPerSecond, body.AllowPostCopy ?? false) switch
        {
            UseCaseResult<Tenant>.Done d => TypedResults.Created($"/api/v1/tenants/{d.Value.Id}", d.Value),
            UseCaseResult<Tenant>.Invalid i => ApiProblems.Invalid(i),
            UseCaseResult<Tenant>.NotFound n => ApiProblems.NotFound("Tenant", n),
            var other => throw ApiProblems.Unexpected(other),
        };
    }

    private static Results<Ok<Tenant>, ValidationProblem, NotFoundProblem> SetClusters(Guid id, TenantClustersBody? body, UserAdministration admin, ClaimsPrincipal user)
        => body is null ? ApiProblems.MissingBody()
            // Required: a body that forgot the list must not take every cluster away.
            : body.AllowedClusters is not { } clusters ? ApiProblems.Invalid("allowedClusters", "allowedClusters is required: the cluster ids the tenant may use ([] for none).")
            : clusters.Count > InputLimits.ListCount ? ApiProblems.Invalid("allowedClusters", $"allowedClusters must list at most {InputLimits.ListCount} ids.")
            : Changed(admin.SetClusters(TenantScope.Of(user), id, clusters));

    private static Results<Ok<Tenant>, ValidationProblem, NotFoundProblem> SetPostCopy(Guid id, PostCopyBody? body, UserAdministration admin, ClaimsPrincipal user)
    {
        if (body is null)
            return ApiProblems.MissingBody();
        if (body.AllowPostCopy is not { } allow)
        {
            var errors = new FieldErrors();
            errors.Add("allowPostCopy", "allowPostCopy is required: true or false.");
            return errors.ToProblem();
        }
        return Changed(admin.SetPostCopy(TenantScope.Of(user), id, allow));
    }

    private static Results<Ok<Tenant>, ValidationProblem, NotFoundProblem> SetQuotas(Guid id, QuotaBody? body, UserAdministration admin, ClaimsPrincipal user)
        => body is null ? ApiProblems.MissingBody() : Changed(admin.SetQuotas(TenantScope.Of(user), id, body.MaxConcurrentMigrations, body.MaxReservedBandwidthBitsPerSecond));

    private static Results<Ok<Tenant>, ValidationProblem, NotFoundProblem> Changed(UseCaseResult<Tenant> result) => result switch
    {
        UseCaseResult<Tenant>.Done d => TypedResults.Ok(d.Value),
        UseCaseResult<Tenant>.Invalid i => ApiProblems.Invalid(i),
        UseCaseResult<Tenant>.NotFound n => ApiProblems.NotFound("Tenant", n),
        var other => throw ApiProblems.Unexpected(other),
    };
}
