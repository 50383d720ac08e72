using System.Reflection;
using EdgePortal.Web.UseCases;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace EdgePortal.Web.Api;

/// <summary>
/// An RFC 7807 answer with a fixed status, for <c>Results&lt;…&gt;</c> unions: it writes like <see cref="TypedResults.Problem(ProblemDetails)"/>
/// (through the problem details service) and describes itself in the OpenAPI document as <c>application/problem+json</c>
/// with that status, which <see cref="ProblemHttpResult"/> cannot since its status is known only when it runs.
/// </summary>
public abstract class ProblemResult : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ProblemDetails>
{
    private readonly ProblemHttpResult _problem;

    private protected ProblemResult(int status, string title, string detail, IReadOnlyDictionary<string, object?>? extensions)
        => _problem = TypedResults.Problem(detail: detail, statusCode: status, title: title,
            extensions: extensions is null ? null : new Dictionary<string, object?>(extensions));

    public ProblemDetails Value => _problem.ProblemDetails;

    object? IValueHttpResult.Value => Value;

    public int? StatusCode => _problem.StatusCode;

    public Task ExecuteAsync(HttpContext httpContext) => _problem.ExecuteAsync(httpContext);

    private protected static void Describe(EndpointBuilder builder, int status)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), [ProblemContentType]));
    }

    public const string ProblemContentType = "application/problem+json";
}

/// <summary>404: unknown id, or another tenant's (no existence leak).</summary>
public sealed class NotFoundProblem(string title, string detail) : ProblemResult(StatusCodes.Status404NotFound, title, detail, null), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status404NotFound);
}

/// <summary>409: the state of things stands in the way; extensions name what (an id to follow, blockers).</summary>
public sealed class ConflictProblem(string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null)
    : ProblemResult(StatusCodes.Status409Conflict, title, detail, extensions), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status409Conflict);
}

/// <summary>422: the request is well formed but cannot be done as asked (no plan meets the targets).</summary>
public sealed class UnprocessableProblem(string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null)
    : ProblemResult(StatusCodes.Status422UnprocessableEntity, title, detail, extensions), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status422UnprocessableEntity);
}

/// <summary>429: a quota of the tenant is used up; wait for work in flight to finish.</summary>
public sealed class QuotaProblem(string title, string detail) : ProblemResult(StatusCodes.Status429TooManyRequests, title, detail, null), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status429TooManyRequests);
}

/// <summary>The typed answers every endpoint builds its problems with, so each is worded and described one way.</summary>
public static class ApiProblems
{
    public static ValidationProblem Invalid(string field, string message)
    {
        var errors = new FieldErrors();
        errors.Add(field, message);
        return errors.ToProblem();
    }

    public static ValidationProblem Invalid<T>(UseCaseResult<T>.Invalid invalid)
    {
        ArgumentNullException.ThrowIfNull(invalid);
        var errors = new FieldErrors();
        foreach (var (field, message) in invalid.Errors)
            errors.Add(field, message);
        return errors.ToProblem();
    }

    /// <summary>A missing body: 400 naming <c>body</c>.</summary>
    public static ValidationProblem MissingBody(string what = "A JSON body is required.") => Invalid("body", what);

    public static NotFoundProblem NotFound(string what, Guid id) => new($"{what} not found", $"No {what.ToLowerInvariant()} has id {id}.");

    public static NotFoundProblem NotFound<T>(string what, UseCaseResult<T>.NotFound notFound)
    {
        ArgumentNullException.ThrowIfNull(notFound);
        return new NotFoundProblem($"{what} not found", notFound.Detail);
    }

    public static ConflictProblem Conflict<T>(UseCaseResult<T>.Conflict conflict)
    {
        ArgumentNullException.ThrowIfNull(conflict);
        return new ConflictProblem(conflict.Title, conflict.Detail, conflict.Extensions);
    }

    /// <summary>For the arm of a switch over a closed result that cannot be reached.</summary>
    public static InvalidOperationException Unexpected(object result) => new($"Unexpected result {result}.");
}
