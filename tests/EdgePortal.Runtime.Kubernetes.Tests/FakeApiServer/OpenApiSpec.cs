using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using Microsoft.AspNetCore.Http;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>One operation of the vendored specification: its path template, method, parameters and request body.</summary>
public sealed record SpecOperation(string PathTemplate, string Method, string OperationId, string Action,
    IReadOnlyDictionary<string, string> QueryParameters, IReadOnlyDictionary<string, string?> BodyContentTypes, bool BodyRequired);

/// <summary>
/// The Kubernetes OpenAPI v3 documents vendored from upstream (tests/EdgePortal.Runtime.Kubernetes.Tests/OpenApi, subsets
/// of kubernetes/kubernetes api/openapi-spec/v3 at the commit their <c>info.x-edgeportal-vendored</c> names), and the checks
/// the fake API server makes with them: the path matches a path of the document, the method is one of its operations,
/// every query parameter is declared with a value of its type (connect operations forward the rest to the node, as the
/// API server's proxy does), the Content-Type is one the operation accepts, and the body has no field its schema does
/// not declare. A schema the subset does not carry is resolved to the KubernetesClient model of the same name (generated
/// from the same upstream document) and decoded strictly.
/// </summary>
public sealed partial class OpenApiSpec
{
    private readonly List<(Regex Pattern, string Template, JsonObject Item, int Literals)> _paths = [];
    private readonly Dictionary<string, JsonObject> _schemas = new(StringComparer.Ordinal);

    public IReadOnlyList<SpecOperation> Operations { get; }

    private OpenApiSpec(IEnumerable<JsonObject> documents)
    {
        var operations = new List<SpecOperation>();
        foreach (var document in documents)
        {
            foreach (var (name, schema) in document["components"]!["schemas"]!.AsObject())
                _schemas[name] = schema!.AsObject();
            foreach (var (template, item) in document["paths"]!.AsObject())
            {
                var pattern = new Regex("^" + Regex.Replace(Regex.Escape(template).Replace(@"\{", "{", StringComparison.Ordinal), "{([a-z]+)}",
                    m => m.Groups[1].Value == "path" ? "(?<path>.+)" : $"(?<{m.Groups[1].Value}>[^/]+)") + "$", RegexOptions.CultureInvariant);
                _paths.Add((pattern, template, item!.AsObject(), template.Count(ch => ch == '/') - template.Count(ch => ch == '{')));
                foreach (var (method, op) in item!.AsObject().Where(p => p.Key != "parameters"))
                    operations.Add(Operation(template, method, item.AsObject(), op!.AsObject()));
            }
        }
        Operations = operations;
    }

    /// <summary>
    /// The vendored documents, from the test output folder, and the document the API server publishes for the EdgeMigration
    /// CRD of deploy/ (<see cref="CustomResourceDefinitions.EdgeMigrationDocument"/>).
    /// </summary>
    public static OpenApiSpec Vendored { get; } = new(new[] { "api__v1_openapi.json", "apis__apps__v1_openapi.json" }
        .Select(f => JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "OpenApi", f)))!.AsObject())
        .Append(CustomResourceDefinitions.EdgeMigrationDocument()));

    /// <summary>The operation a request addresses, or why the specification has none.</summary>
    public SpecOperation? Match(string method, string path, out string problem)
    {
        var candidates = _paths.Where(p => p.Pattern.IsMatch(path)).OrderByDescending(p => p.Literals).ToList();
        if (candidates.Count == 0)
        {
            problem = $"the Kubernetes API has no path {path}";
            return null;
        }
        var verb = method.ToLowerInvariant();
        foreach (var (_, template, item, _) in candidates)
            if (item[verb] is JsonObject op)
            {
                problem = "";
                return Operation(template, verb, item, op);
            }
        problem = $"the Kubernetes API path {candidates[0].Template} has no {method} operation";
        return null;
    }

    /// <summary>What is wrong with the query string of a request to <paramref name="op"/>, or null.</summary>
    public static string? QueryProblem(SpecOperation op, IQueryCollection query)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(query);
        foreach (var (name, values) in query)
        {
            if (!op.QueryParameters.TryGetValue(name, out var type))
            {
                if (op.Action == "connect")
                    continue;
                return $"{op.OperationId} has no query parameter '{name}'";
            }
            var value = values.ToString();
            var ok = type switch
            {
                "boolean" => value is "true" or "false",
                "integer" => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
                _ => true,
            };
            if (!ok)
                return $"{op.OperationId}: query parameter '{name}' must be a {type}, got '{value}'";
        }
        return null;
    }

    /// <summary>What is wrong with the Content-Type and body of a request to <paramref name="op"/>, or null.</summary>
    public string? BodyProblem(SpecOperation op, string? contentType, string body)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(body);
        if (op.BodyContentTypes.Count == 0)
            return body.Length == 0 ? null : $"{op.OperationId} takes no request body";
        if (body.Length == 0)
            return op.BodyRequired ? $"{op.OperationId} requires a request body" : null;
        var media = (contentType ?? "").Split(';')[0].Trim();
        string? schema;
        if (!op.BodyContentTypes.TryGetValue(media, out schema) && !op.BodyContentTypes.TryGetValue("*/*", out schema))
            return $"{op.OperationId} accepts {string.Join(", ", op.BodyContentTypes.Keys)}, not '{media}'";
        if (schema is null || media.EndsWith("patch+json", StringComparison.Ordinal) || media.EndsWith("patch+yaml", StringComparison.Ordinal))
            return null; // a patch is checked on the object it produces
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            return $"the body of {op.OperationId} is not JSON: {e.Message}";
        }
        return SchemaProblem(schema, json, "");
    }

    /// <summary>Fields of <paramref name="value"/> that schema <paramref name="name"/> does not declare (strict decoding).</summary>
    public string? SchemaProblem(string name, JsonNode? value, string at)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (value is null)
            return null;
        if (!_schemas.TryGetValue(name, out var schema))
            return ModelProblem(name, value, at);
        if (schema["properties"] is not JsonObject properties)
            return null;
        if (value is not JsonObject obj)
            return $"{Where(at)}: expected an object ({name})";
        foreach (var (field, child) in obj)
        {
            if (properties[field] is not JsonObject property)
                return $"strict decoding error: unknown field \"{Join(at, field)}\"";
            if (Referenced(property) is { } childSchema && SchemaProblem(childSchema, child, Join(at, field)) is { } problem)
                return problem;
            if (property["items"] is JsonObject items && Referenced(items) is { } itemSchema && child is JsonArray array)
                foreach (var element in array)
                    if (SchemaProblem(itemSchema, element, Join(at, field)) is { } problem2)
                        return problem2;
        }
        return null;
    }

    private static string? Referenced(JsonObject property) =>
        (property["$ref"] ?? property["allOf"]?[0]?["$ref"])?.GetValue<string>().Replace("#/components/schemas/", "", StringComparison.Ordinal);

    /// <summary>
    /// A schema the subset does not carry: the KubernetesClient model generated from it (io.k8s.api.core.v1.PodSpec is
    /// V1PodSpec), decoded, and every field it did not understand reported.
    /// </summary>
    private static string? ModelProblem(string name, JsonNode value, string at)
    {
        var parts = name.Split('.');
        var typeName = $"k8s.Models.{char.ToUpperInvariant(parts[^2][0])}{parts[^2][1..]}{parts[^1]}";
        var type = typeof(k8s.Models.V1Pod).Assembly.GetType(typeName)
            ?? throw new InvalidOperationException($"schema {name} is neither vendored nor a KubernetesClient model ({typeName})");
        var text = value.ToJsonString();
        object? decoded;
        try
        {
            decoded = Deserialize.MakeGenericMethod(type).Invoke(null, [text, null]);
        }
        catch (TargetInvocationException e) when (e.InnerException is JsonException j)
        {
            return $"{Where(at)} is not a {name}: {j.Message}";
        }
        var understood = Leaves(JsonNode.Parse(KubernetesJson.Serialize(decoded)), "").ToHashSet(StringComparer.Ordinal);
        var unknown = Leaves(JsonNode.Parse(text), "").Where(p => !understood.Contains(p)).ToList();
        return unknown.Count == 0 ? null : $"strict decoding error: unknown field(s) {string.Join(", ", unknown.Select(u => $"\"{Join(at, u)}\""))}";
    }

    private static readonly MethodInfo Deserialize = typeof(KubernetesJson).GetMethods()
        .Single(m => m.Name == nameof(KubernetesJson.Deserialize) && m.IsGenericMethod && m.GetParameters() is [{ ParameterType: var p }, _] && p == typeof(string));

    /// <summary>The paths of the non-null values of a JSON document (array indices dropped).</summary>
    internal static IEnumerable<string> Leaves(JsonNode? node, string path) => node switch
    {
        JsonObject o => o.Where(p => p.Value is not null).SelectMany(p => Leaves(p.Value, path.Length == 0 ? p.Key : $"{path}.{p.Key}")).DefaultIfEmpty(path),
        JsonArray a => a.SelectMany(e => Leaves(e, path)),
        null => [],
        _ => [path],
    };

    private static string Join(string at, string field) => at.Length == 0 ? field : $"{at}.{field}";

    private static string Where(string at) => at.Length == 0 ? "the body" : at;

    private static SpecOperation Operation(string template, string method, JsonObject item, JsonObject op)
    {
        var parameters = (item["parameters"]?.AsArray() ?? []).Concat(op["parameters"]?.AsArray() ?? [])
            .Where(p => p!["in"]!.GetValue<string>() == "query")
            .ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["schema"]?["type"]?.GetValue<string>() ?? "string", StringComparer.Ordinal);
        var content = op["requestBody"]?["content"]?.AsObject();
        var bodies = content?.ToDictionary(c => c.Key, c => Referenced(c.Value!["schema"]!.AsObject()), StringComparer.Ordinal)
            ?? new Dictionary<string, string?>(StringComparer.Ordinal);
        return new SpecOperation(template, method.ToUpperInvariant(), op["operationId"]!.GetValue<string>(),
            op["x-kubernetes-action"]?.GetValue<string>() ?? "", parameters, bodies, op["requestBody"]?["required"]?.GetValue<bool>() ?? false);
    }
}
