using System.Globalization;
using System.Security.Claims;
using System.Text;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgePortal.Web.Api;

public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Audit");
        api.MapGet("/audit", List).RequireAuthorization(PortalPolicies.UserAdmin)
            .WithName("ListAudit").WithSummary("Audit entries, newest first, filtered by from/to (ISO 8601), actor (substring), action, limit; a tenant admin sees its tenant's; a full page links the next one (Link rel=next, before=cursor).");
        api.MapGet("/audit.csv", Csv).RequireAuthorization(PortalPolicies.UserAdmin)
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithName("ExportAuditCsv").WithSummary("The same entries as CSV (UTF-8, RFC 4180), for a spreadsheet.");
        api.MapGet("/audit/verify", Verify).RequireAuthorization(PortalPolicies.Provider)
            .WithName("VerifyAudit").WithSummary("Check the audit log's hash chain from its oldest entry: intact or not, how many entries, the head hash (keep it elsewhere to detect a rewrite), and the first entry that breaks it, with why.");
        return app;
    }

    private static Results<Ok<IReadOnlyList<AuditEntry>>, ValidationProblem> List(IAuditLog log, ClaimsPrincipal user, HttpResponse response, DateTimeOffset? from,
        DateTimeOffset? to, string? actor, string? action, int? limit, string? before)
    {
        if (Read(log, user, from, to, actor, action, limit, before, out var entries) is { } problem)
            return problem;
        HistoryPaging.LinkNext(response, entries.Count, limit ?? 500, entries.Count > 0 ? AuditQuery.CursorOf(entries[^1]) : null);
        return TypedResults.Ok(entries);
    }

    private static Results<FileContentHttpResult, ValidationProblem> Csv(IAuditLog log, ClaimsPrincipal user, DateTimeOffset? from, DateTimeOffset? to,
        string? actor, string? action, int? limit)
        => Read(log, user, from, to, actor, action, limit ?? 10_000, null, out var entries) is { } problem
            ? problem
            : TypedResults.File(Encoding.UTF8.GetBytes(AuditCsv.Write(entries)), "text/csv; charset=utf-8", "edgeportal-audit.csv");

    private static Ok<AuditChainReport> Verify(IAuditLog log, TimeProvider clock, CancellationToken cancellationToken)
        => TypedResults.Ok(AuditChain.Verify(log, clock.GetUtcNow(), cancellationToken: cancellationToken));

    private static ValidationProblem? Read(IAuditLog log, ClaimsPrincipal user, DateTimeOffset? from, DateTimeOffset? to, string? actor, string? action, int? limit,
        string? before, out IReadOnlyList<AuditEntry> entries)
    {
        entries = [];
        var errors = new FieldErrors();
        var cursor = HistoryPaging.Parse(before, errors);
        if (limit is < 1 or > 10_000)
            errors.Add("limit", $"limit must lie in 1..10000 (was {limit}).");
        if (action is { Length: > 0 } && !AuditActions.All.Contains(action))
            errors.Add("action", $"action must be one of {string.Join(", ", AuditActions.All)} (was '{Core.Domain.InputLimits.Echo(action)}').");
        if (actor is { Length: > 200 })
            errors.Add("actor", "actor must be at most 200 characters.");
        if (from > to)
            errors.Add("from", "from must not be after to.");
        if (errors.Any)
            return errors.ToProblem();
        entries = log.Query(new AuditQuery(from, to, actor, action, TenantScope.Of(user).Tenant, limit ?? 500, cursor));
        return null;
    }
}

/// <summary>The audit log as CSV. A cell that a spreadsheet would run as a formula (=, +, -, @) is prefixed with '.</summary>
public static class AuditCsv
{
    public static string Write(IEnumerable<AuditEntry> entries)
    {
        var csv = new StringBuilder("at,actor,action,target,detail,tenantId,succeeded,sequence,hash\r\n");
        foreach (var e in entries)
            csv.AppendJoin(',', Cell(e.At.UtcDateTime.ToString("o", CultureInfo.InvariantCulture)), Cell(e.Actor), Cell(e.Action), Cell(e.Target),
                Cell(e.Detail), Cell(e.TenantId?.ToString() ?? ""), e.Succeeded ? "true" : "false", e.Sequence.ToString(CultureInfo.InvariantCulture), e.Hash)
                .Append("\r\n");
        return csv.ToString();
    }

    public static string Cell(string value)
    {
        if (value.Length > 0 && "=+-@\t\r".Contains(value[0]))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
