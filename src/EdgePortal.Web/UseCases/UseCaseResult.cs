namespace EdgePortal.Web.UseCases;

/// <summary>
/// How a use case done on someone's behalf ended: done, refused because of named fields, not found (also another tenant's
/// object: no existence leak), or in conflict with the state of things. The page turns it into a snackbar, the endpoint into
/// its typed result (<see cref="Api.ApiResults"/>).
/// </summary>
public abstract record UseCaseResult<T>
{
    public sealed record Done(T Value) : UseCaseResult<T>;

    /// <summary>One message per bad field, under the field's JSON name.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string> Errors) : UseCaseResult<T>
    {
        public Invalid(string field, string message) : this(new Dictionary<string, string> { [field] = message })
        {
        }

        /// <summary>The messages as one sentence, for a snackbar.</summary>
        public string Text => string.Join(" ", Errors.Values);

        /// <summary>Each field with its message ("userName: …"), for a form without a place per field.</summary>
        public string FieldsAndMessages => string.Join(" ", Errors.Select(e => $"{e.Key}: {e.Value}"));
    }

    public sealed record NotFound(string Detail) : UseCaseResult<T>;

    /// <summary>The state of things stands in the way; <paramref name="Extensions"/> carry ids the caller may follow (problem details extensions).</summary>
    public sealed record Conflict(string Title, string Detail, IReadOnlyDictionary<string, object?>? Extensions = null) : UseCaseResult<T>;
}
