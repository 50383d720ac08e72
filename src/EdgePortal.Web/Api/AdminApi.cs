using System.Security.Claims;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.Api;

public sealed record UserBody(string? UserName, string? Password, string? Role, Guid? TenantId);

/// <summary>A change to an account: any of its role, tenant, disabled state and (local accounts) password; what is left out stays.</summary>
public sealed record UserChangeBody(string? Role, Guid? TenantId, bool? Disabled, string? Password);

public sealed record ApiKeyBody(string? Name, string? Role, Guid? TenantId, DateTimeOffset? ExpiresAt);

public sealed record QuotaBody(int? MaxConcurrentMigrations, double? MaxReservedBandwidthBitsPerSecond);

/// <summary>A new tenant: its name, the clusters it may use (ids), its services' default objective (MinDowntime unless given) and quotas.</summary>
public sealed record TenantBody(string? Name, IReadOnlyList<Guid>? AllowedClusters, string? DefaultObjective, int? MaxConcurrentMigrations,
    double? MaxReservedBandwidthBitsPerSecond);

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
        admin.MapGet("/users", (UserAdministration a, ClaimsPrincipal user) => a.Users(TenantScope.Of(user)).Select(UserView.From).ToList())
            .WithSummary("Accounts (a tenant admin: its tenant's).");
        admin.MapPost("/users", CreateUser).WithSummary("Create an account; a tenant admin creates only tenant roles in its tenant.");
        admin.MapPatch("/users/{id:guid}", ChangeUser)
            .WithSummary("Change an account's role, tenant, disabled state or password; its open sessions end within a minute when its access changes.");
        admin.MapDelete("/users/{id:guid}", (Guid id, UserAdministration a, ClaimsPrincipal user) => Answer(a.DeleteUser(TenantScope.Of(user), id), _ => Results.NoContent()))
            .WithSummary("Delete an account.");
        admin.MapGet("/keys", (UserAdministration a, ClaimsPrincipal user) => a.Keys(TenantScope.Of(user)).Select(k => ApiKeyView.From(k)).ToList())
            .WithSummary("API keys (never their value).");
        admin.MapPost("/keys", CreateKey).WithSummary("Create an API key with a role and an optional expiry; the key is in this answer only.");
        admin.MapPost("/keys/{id:guid}/revoke", (Guid id, UserAdministration a, ClaimsPrincipal user) => Answer(a.RevokeKey(TenantScope.Of(user), id), k => Results.Ok(ApiKeyView.From(k))))
            .WithSummary("Revoke an API key: it is refused from now on.");

        var tenants = app.MapGroup("/api/v1/tenants").WithTags("Administration").RequireAuthorization(PortalPolicies.ProviderAdmin);
        tenants.MapGet("/", (IInventoryRepository inventory) => inventory.Tenants()).WithSummary("Tenants with their allowed clusters and quotas.");
        tenants.MapGet("/{id:guid}", (Guid id, IInventoryRepository inventory) => inventory.FindTenant(TenantId.From(id)) is { } t
                ? Results.Ok(t)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No tenant has id {id}."))
            .WithSummary("One tenant.");
        tenants.MapPost("/", CreateTenant).WithSummary("Create a tenant: a unique name, the clusters it may use (ids), its default objective and quotas (null: none).");
        tenants.MapPut("/{id:guid}/clusters", SetClusters)
            .WithSummary("Set the clusters a tenant may use (ids); a cluster where it still runs services cannot be left out.");
        tenants.MapPut("/{id:guid}/quotas", SetQuotas).WithSummary("Set a tenant's quotas: max concurrent migrations, max reserved bandwidth (null: none).");
        return app;
    }

    private static IResult CreateUser(UserBody? body, UserAdministration admin, ClaimsPrincipal user)
        => body is null ? Missing() : Answer(admin.CreateUser(TenantScope.Of(user), body.UserName, body.Password, body.Role, body.TenantId),
            u => Results.Created($"/api/v1/users/{u.Id}", UserView.From(u)));

    private static IResult ChangeUser(Guid id, UserChangeBody? body, UserAdministration admin, ClaimsPrincipal user)
        => body is null ? Missing() : Answer(admin.ChangeUser(TenantScope.Of(user), id, body.Role, body.TenantId, body.Disabled, body.Password),
            u => Results.Ok(UserView.From(u)));

    private static IResult CreateKey(ApiKeyBody? body, UserAdministration admin, ClaimsPrincipal user, TimeProvider clock)
        => body is null ? Missing() : Answer(admin.CreateKey(TenantScope.Of(user), body.Name, body.Role, body.TenantId, body.ExpiresAt, clock.GetUtcNow()),
            k => Results.Created($"/api/v1/keys/{k.Record.Id}", ApiKeyView.From(k.Record, k.Key)));

    private static IResult CreateTenant(TenantBody? body, UserAdministration admin, ClaimsPrincipal user)
    {
        if (body is null)
            return Missing();
        var errors = new FieldErrors();
        var objective = errors.Enum<Objective>("defaultObjective", body.DefaultObjective);
        if (errors.Any)
            return errors.ToProblem();
        return Answer(admin.CreateTenant(TenantScope.Of(user), body.Name, body.AllowedClusters, objective ?? Objective.MinDowntime,
            body.MaxConcurrentMigrations, body.MaxReservedBandwidthBitsPerSecond), t => Results.Created($"/api/v1/tenants/{t.Id}", t));
    }

    private static IResult SetClusters(Guid id, TenantClustersBody? body, UserAdministration admin, ClaimsPrincipal user)
        => body is null ? Missing()
            // Required: a body that forgot the list must not take every cluster away.
            : body.AllowedClusters is not { } clusters ? Invalid("allowedClusters", "allowedClusters is required: the cluster ids the tenant may use ([] for none).")
            : Answer(admin.SetClusters(TenantScope.Of(user), id, clusters), Results.Ok);

    private static IResult SetQuotas(Guid id, QuotaBody? body, UserAdministration admin, ClaimsPrincipal user)
        => body is null ? Missing() : Answer(admin.SetQuotas(TenantScope.Of(user), id, body.MaxConcurrentMigrations, body.MaxReservedBandwidthBitsPerSecond), Results.Ok);

    private static IResult Missing()
    {
        var errors = new FieldErrors();
        errors.Add("body", "A JSON body is required.");
        return errors.ToProblem();
    }

    private static IResult Answer<T>(AdminResult<T> result, Func<T, IResult> done) => result switch
    {
        AdminResult<T>.Done d => done(d.Value),
        AdminResult<T>.Invalid i => Invalid(i.Field, i.Message),
        AdminResult<T>.NotFound n => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: n.Message),
        _ => throw new InvalidOperationException("Unexpected result."),
    };

    private static IResult Invalid(string field, string message)
    {
        var errors = new FieldErrors();
        errors.Add(field, message);
        return errors.ToProblem();
    }
}
