using EdgePortal.Core.Domain;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;

namespace EdgePortal.Web.Api;

/// <summary>
/// Keyset pagination of history lists: a full page answers with <c>Link: &lt;…&amp;before=cursor&gt;; rel="next"</c>
/// (RFC 8288), the same query continued after its last row; <c>before</c> is that opaque cursor.
/// </summary>
public static class HistoryPaging
{
    public const string Parameter = "before";

    /// <summary>The cursor in <paramref name="text"/>, or a field error naming <see cref="Parameter"/>.</summary>
    public static HistoryCursor? Parse(string? text, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrEmpty(text))
            return null;
        if (HistoryCursor.TryParse(text, out var cursor))
            return cursor;
        errors.Add(Parameter, $"{Parameter} must be a cursor from a previous page's Link header (was '{Core.Domain.InputLimits.Echo(text)}').");
        return null;
    }

    /// <summary>Adds the next page's link when the page came back full (there may be more).</summary>
    public static void LinkNext(HttpResponse response, int returned, int limit, HistoryCursor? last)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (returned < limit || last is not { } cursor)
            return;
        var request = response.HttpContext.Request;
        var query = QueryHelpers.ParseQuery(request.QueryString.Value);
        query[Parameter] = cursor.ToString();
        var next = new QueryBuilder(query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))));
        response.Headers.Append("Link", $"<{request.PathBase}{request.Path}{next.ToQueryString()}>; rel=\"next\"");
    }
}
