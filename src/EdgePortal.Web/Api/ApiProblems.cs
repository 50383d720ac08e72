using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgePortal.Web.Api;

/// <summary>
/// Field errors collected while validating a request body; answered as RFC 7807 validation problem
/// details (<c>errors: { field: [messages] }</c>) so a client can point at the field.
/// </summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    /// <summary>How many messages have been added, so a caller can tell whether a group of checks added any.</summary>
    public int Count => _errors.Values.Sum(m => m.Count);

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
            _errors[field] = messages = [];
        messages.Add(message);
    }

    /// <summary>Takes <paramref name="other"/>'s errors, each field under <paramref name="prefix"/> (an item of a list: <c>migrations[3].</c>).</summary>
    public void AddAll(string prefix, FieldErrors other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (field, messages) in other._errors)
            foreach (var message in messages)
                Add(prefix + field, message);
    }

    public T? Required<T>(string field, T? value) where T : struct
    {
        if (value is null)
            Add(field, $"{field} is required.");
        return value;
    }

    /// <summary>A finite number within [min, max] (either bound optional), or an error naming the field.</summary>
    public double? Number(string field, double? value, double? min = null, double? max = null, bool required = true, bool exclusiveMin = false)
    {
        if (value is not { } v)
        {
            if (required)
                Add(field, $"{field} is required.");
            return null;
        }
        if (!double.IsFinite(v))
            Add(field, $"{field} must be a finite number (was {v}).");
        else if (min is { } lo && (exclusiveMin ? v <= lo : v < lo))
            Add(field, $"{field} must be {(exclusiveMin ? ">" : "≥")} {lo} (was {v}).");
        else if (max is { } hi && v > hi)
            Add(field, $"{field} must be ≤ {hi} (was {v}).");
        else
            return v;
        return null;
    }

    /// <summary>
    /// A string of at most <paramref name="max"/> characters (<see cref="Core.Domain.InputLimits"/>), trimmed; required when
    /// asked (then blank is an error too). Null when absent or wrong.
    /// </summary>
    public string? Text(string field, string? value, int max, bool required = false)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
                Add(field, $"{field} is required.");
            return null;
        }
        if (Core.Domain.InputLimits.TooLong(field, value.Trim(), max) is { } tooLong)
        {
            Add(field, tooLong);
            return null;
        }
        return value.Trim();
    }

    /// <summary>An enum given by name, case-insensitive; null when absent and not required.</summary>
    public TEnum? Enum<TEnum>(string field, string? value, bool required = false) where TEnum : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
                Add(field, $"{field} is required.");
            return null;
        }
        if (System.Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) && System.Enum.IsDefined(parsed) && !int.TryParse(value, out _))
            return parsed;
        Add(field, $"{field} must be one of {string.Join(", ", System.Enum.GetNames<TEnum>())} (was '{Core.Domain.InputLimits.Echo(value)}').");
        return null;
    }

    public ValidationProblem ToProblem(string title = "The request has invalid fields.")
        => TypedResults.ValidationProblem(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()), title: title);
}

/// <summary>
/// Answers a body that is not valid JSON, or whose values have the wrong type, with 400 problem details
/// naming the field from the JSON path; every other unhandled error becomes a 500 problem without internals.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
            return false;
        var field = (bad.InnerException as JsonException)?.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request body could not be read.",
                Detail = bad.InnerException is JsonException ? $"The value of '{field}' has the wrong type or format." : bad.Message,
                Extensions = { ["errors"] = new Dictionary<string, string[]> { [field] = [bad.InnerException is JsonException
                    ? $"{field} has the wrong type or format (numbers as numbers, ids as GUID strings, enums by name)."
                    : bad.Message] } },
            },
        });
    }
}
