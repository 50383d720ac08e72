using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgePortal.Testing;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>
/// The EdgeMigration CRD as deploy/ ships it (<c>deploy/base/crd-edgemigration.yaml</c>), and what the API server makes of a
/// CRD: the OpenAPI document it publishes for the version (<c>/openapi/v3/apis/edgeportal.io/v1alpha1</c>, here with exactly
/// the operations the controller calls) and the structural validation every object of the resource passes on its way in.
/// </summary>
public static partial class CustomResourceDefinitions
{
    public static V1CustomResourceDefinition EdgeMigration { get; } =
        KubernetesYaml.Deserialize<V1CustomResourceDefinition>(File.ReadAllText(RepositoryRoot.File("deploy", "base", "crd-edgemigration.yaml")));

    public static V1CustomResourceDefinitionVersion EdgeMigrationVersion => EdgeMigration.Spec.Versions.Single(v => v.Name == "v1alpha1");

    /// <summary>The openAPIV3Schema of v1alpha1 as JSON.</summary>
    public static JsonObject EdgeMigrationSchema { get; } = JsonNode.Parse(KubernetesJson.Serialize(EdgeMigrationVersion.Schema.OpenAPIV3Schema))!.AsObject();

    public const string SchemaName = "io.edgeportal.v1alpha1.EdgeMigration";

    /// <summary>
    /// The OpenAPI v3 document of <c>edgeportal.io/v1alpha1</c> as the API server publishes it for this CRD (operation ids,
    /// parameters, content types), restricted to the operations the controller calls.
    /// </summary>
    public static JsonObject EdgeMigrationDocument()
    {
        const string kind = "EdgeportalIoV1alpha1";
        JsonObject Query(string name, string type = "string") => new() { ["name"] = name, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = type } };
        JsonObject PathParam(string name) => new() { ["name"] = name, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } };
        JsonObject Body(params string[] types)
        {
            var content = new JsonObject();
            foreach (var type in types)
                content[type] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = type.Contains("patch", StringComparison.Ordinal) ? "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch" : $"#/components/schemas/{SchemaName}" } };
            return new JsonObject { ["content"] = content, ["required"] = true };
        }
        var listParameters = new JsonArray(Query("allowWatchBookmarks", "boolean"), Query("continue"), Query("fieldSelector"), Query("labelSelector"),
            Query("limit", "integer"), Query("pretty"), Query("resourceVersion"), Query("resourceVersionMatch"), Query("sendInitialEvents", "boolean"),
            Query("timeoutSeconds", "integer"), Query("watch", "boolean"));
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes CRD Swagger", ["version"] = "v0.1.0", ["x-edgeportal-generated"] = "from deploy/base/crd-edgemigration.yaml" },
            ["paths"] = new JsonObject
            {
                ["/apis/edgeportal.io/v1alpha1/edgemigrations"] = new JsonObject
                {
                    ["get"] = new JsonObject { ["operationId"] = $"list{kind}EdgeMigrationForAllNamespaces", ["x-kubernetes-action"] = "list" },
                    ["parameters"] = listParameters,
                },
                ["/apis/edgeportal.io/v1alpha1/namespaces/{namespace}/edgemigrations/{name}"] = new JsonObject
                {
                    ["get"] = new JsonObject { ["operationId"] = $"read{kind}NamespacedEdgeMigration", ["x-kubernetes-action"] = "get" },
                    ["patch"] = new JsonObject
                    {
                        ["operationId"] = $"patch{kind}NamespacedEdgeMigration",
                        ["x-kubernetes-action"] = "patch",
                        ["parameters"] = new JsonArray(Query("dryRun"), Query("fieldManager"), Query("fieldValidation"), Query("force", "boolean")),
                        // A custom resource takes no strategic merge patch.
                        ["requestBody"] = Body("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"),
                    },
                    ["parameters"] = new JsonArray(PathParam("name"), PathParam("namespace"), Query("pretty")),
                },
                ["/apis/edgeportal.io/v1alpha1/namespaces/{namespace}/edgemigrations/{name}/status"] = new JsonObject
                {
                    ["put"] = new JsonObject
                    {
                        ["operationId"] = $"replace{kind}NamespacedEdgeMigrationStatus",
                        ["x-kubernetes-action"] = "put",
                        ["parameters"] = new JsonArray(Query("dryRun"), Query("fieldManager"), Query("fieldValidation")),
                        ["requestBody"] = Body("application/json", "application/yaml"),
                    },
                    ["parameters"] = new JsonArray(PathParam("name"), PathParam("namespace"), Query("pretty")),
                },
            },
            ["components"] = new JsonObject { ["schemas"] = new JsonObject { [SchemaName] = EdgeMigrationSchema.DeepClone() } },
        };
    }

    /// <summary>
    /// What the API server's structural validation says of <paramref name="value"/> against <paramref name="schema"/>: types,
    /// required fields, enums, bounds, lengths, patterns, list sizes, date-times, and fields the schema does not declare (as
    /// <c>fieldValidation=Strict</c> does). Null when valid.
    /// </summary>
    public static string? Problem(JsonObject schema, JsonNode? value, string path = "")
    {
        ArgumentNullException.ThrowIfNull(schema);
        var at = path.Length == 0 ? "<root>" : path;
        if (value is null)
            return null;
        var type = schema["type"]?.GetValue<string>();
        switch (type)
        {
            case "object":
                if (value is not JsonObject obj)
                    return $"{at}: Invalid value: must be of type object";
                if (schema["required"] is JsonArray required)
                    foreach (var name in required.Select(r => r!.GetValue<string>()))
                        if (obj[name] is null)
                            return $"{Join(path, name)}: Required value";
                if (schema["properties"] is JsonObject properties)
                    foreach (var (name, child) in obj)
                    {
                        if (properties[name] is not JsonObject property)
                            return $"{Join(path, name)}: unknown field (strict decoding)";
                        if (Problem(property, child, Join(path, name)) is { } problem)
                            return problem;
                    }
                return null;
            case "array":
                if (value is not JsonArray array)
                    return $"{at}: Invalid value: must be of type array";
                if (schema["maxItems"] is { } maxItems && array.Count > maxItems.GetValue<long>())
                    return $"{at}: Too many: {array.Count}: must have at most {maxItems} items";
                for (var i = 0; i < array.Count; i++)
                    if (schema["items"] is JsonObject items && Problem(items, array[i], $"{path}[{i}]") is { } problem)
                        return problem;
                return null;
            case "string":
                if (value is not JsonValue sv || !sv.TryGetValue<string>(out var text))
                    return $"{at}: Invalid value: must be of type string";
                if (schema["maxLength"] is { } maxLength && text.Length > maxLength.GetValue<long>())
                    return $"{at}: Too long: may not be more than {maxLength} bytes";
                if (schema["minLength"] is { } minLength && text.Length < minLength.GetValue<long>())
                    return $"{at}: Invalid value: should be at least {minLength} chars long";
                if (schema["pattern"] is { } pattern && !Regex.IsMatch(text, pattern.GetValue<string>(), RegexOptions.CultureInvariant))
                    return $"{at}: Invalid value: \"{text}\": should match '{pattern}'";
                if (schema["format"]?.GetValue<string>() == "date-time" && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _))
                    return $"{at}: Invalid value: \"{text}\": must be a date-time";
                return Enum(schema, text, at);
            case "integer":
                if (value is not JsonValue iv || !iv.TryGetValue<long>(out var whole) && !(iv.TryGetValue<double>(out var d) && d == Math.Floor(d) && (whole = (long)d) == d))
                    return $"{at}: Invalid value: must be of type integer";
                return Bounds(schema, whole, at);
            case "number":
                if (value is not JsonValue nv || !nv.TryGetValue<double>(out var number))
                    return $"{at}: Invalid value: must be of type number";
                return Bounds(schema, number, at);
            case "boolean":
                return value is JsonValue bv && bv.TryGetValue<bool>(out _) ? null : $"{at}: Invalid value: must be of type boolean";
            default:
                return null;
        }
    }

    private static string? Enum(JsonObject schema, string text, string at) =>
        schema["enum"] is JsonArray values && !values.Any(v => v!.GetValue<string>() == text)
            ? $"{at}: Unsupported value: \"{text}\": supported values: {string.Join(", ", values.Select(v => $"\"{v}\""))}"
            : null;

    private static string? Bounds(JsonObject schema, double value, string at)
    {
        var exclusive = schema["exclusiveMinimum"]?.GetValue<bool>() == true;
        if (schema["minimum"] is { } min && (exclusive ? value <= min.GetValue<double>() : value < min.GetValue<double>()))
            return $"{at}: Invalid value: {value.ToString(CultureInfo.InvariantCulture)}: should be greater than {(exclusive ? "" : "or equal to ")}{min}";
        if (schema["maximum"] is { } max && value > max.GetValue<double>())
            return $"{at}: Invalid value: {value.ToString(CultureInfo.InvariantCulture)}: should be less than or equal to {max}";
        return null;
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
