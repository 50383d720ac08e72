using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>A patch the API server would refuse: 400/415/422 with this message.</summary>
public sealed class PatchException(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
}

/// <summary>
/// The three patch kinds the API server accepts for built-in types, chosen by Content-Type as it does:
/// <c>application/merge-patch+json</c> (RFC 7386), <c>application/strategic-merge-patch+json</c> (merge, and lists of
/// objects with a <c>name</c> merged by name, the merge key of containers, ports, volumes, env), and
/// <c>application/json-patch+json</c> (RFC 6902). Server-side apply (<c>application/apply-patch+yaml</c>) is answered
/// 415 because the runtime has no business using it.
/// </summary>
public static class Patches
{
    public const string MergePatch = "application/merge-patch+json";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";
    public const string JsonPatch = "application/json-patch+json";

    public static JsonNode Apply(string? contentType, JsonNode target, string body)
    {
        ArgumentNullException.ThrowIfNull(target);
        var mediaType = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw new PatchException(400, "BadRequest", $"the patch is not JSON: {e.Message}");
        }
        return mediaType switch
        {
            MergePatch => MergeObject(target, patch, strategic: false),
            StrategicMergePatch => MergeObject(target, patch, strategic: true),
            JsonPatch => ApplyJsonPatch(target, patch),
            _ => throw new PatchException(415, "UnsupportedMediaType",
                $"the body of the request was in an unknown format - accepted media types include: {JsonPatch}, {MergePatch}, {StrategicMergePatch} (got '{contentType}')"),
        };
    }

    private static JsonNode MergeObject(JsonNode target, JsonNode? patch, bool strategic)
    {
        if (patch is not JsonObject p)
            throw new PatchException(422, "Invalid", "a merge patch of an object must be a JSON object");
        return Merge(target, p, strategic)!;
    }

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch, bool strategic)
    {
        if (patch is JsonArray list && strategic && target is JsonArray current && list.All(e => e is JsonObject o && o["name"] is JsonValue))
        {
            var result = (JsonArray)current.DeepClone();
            foreach (var item in list.Cast<JsonObject>())
            {
                var name = item["name"]!.GetValue<string>();
                var existing = result.OfType<JsonObject>().FirstOrDefault(o => o["name"]?.GetValue<string>() == name);
                if (existing is null)
                    result.Add(item.DeepClone());
                else
                    result[result.IndexOf(existing)] = Merge(existing.DeepClone(), item, strategic);
            }
            return result;
        }
        if (patch is not JsonObject patchObject)
            return patch?.DeepClone();
        var merged = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (strategic && key.StartsWith("$", StringComparison.Ordinal))
                throw new PatchException(422, "Invalid", $"strategic merge directive {key} is not supported by this fake API server");
            if (value is null)
                merged.Remove(key);
            else
                merged[key] = Merge(merged[key], value, strategic);
        }
        return merged;
    }

    private static JsonNode ApplyJsonPatch(JsonNode target, JsonNode? patch)
    {
        if (patch is not JsonArray ops)
            throw new PatchException(400, "BadRequest", "a JSON patch is an array of operations");
        var document = target.DeepClone();
        foreach (var node in ops)
        {
            if (node is not JsonObject op || op["op"]?.GetValue<string>() is not { } kind || op["path"]?.GetValue<string>() is not { } path)
                throw new PatchException(400, "BadRequest", "every JSON patch operation needs op and path");
            var (parent, last) = Resolve(document, path);
            switch (kind)
            {
                case "add":
                    Set(parent, last, op["value"]?.DeepClone(), add: true);
                    break;
                case "replace":
                    if (!Has(parent, last))
                        throw new PatchException(422, "Invalid", $"replace operation does not apply: doc is missing key: {path}");
                    Set(parent, last, op["value"]?.DeepClone(), add: false);
                    break;
                case "remove":
                    if (!Has(parent, last))
                        throw new PatchException(422, "Invalid", $"remove operation does not apply: doc is missing path: {path}");
                    if (parent is JsonObject o) o.Remove(last);
                    else ((JsonArray)parent).RemoveAt(int.Parse(last, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "test":
                    var actual = parent is JsonObject to ? to[last] : ((JsonArray)parent)[int.Parse(last, System.Globalization.CultureInfo.InvariantCulture)];
                    if (!JsonNode.DeepEquals(actual, op["value"]))
                        throw new PatchException(422, "Invalid", $"testing value {path} failed");
                    break;
                default:
                    throw new PatchException(422, "Invalid", $"JSON patch operation {kind} is not supported by this fake API server");
            }
        }
        return document;
    }

    private static (JsonNode Parent, string Last) Resolve(JsonNode document, string pointer)
    {
        if (!pointer.StartsWith('/'))
            throw new PatchException(400, "BadRequest", $"a JSON pointer starts with '/': {pointer}");
        var parts = pointer[1..].Split('/').Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        var node = document;
        foreach (var part in parts[..^1])
        {
            node = node switch
            {
                JsonObject o when o[part] is { } child => child,
                JsonArray a when int.TryParse(part, out var i) && i < a.Count && a[i] is { } item => item,
                _ => throw new PatchException(422, "Invalid", $"doc is missing path: {pointer}"),
            };
        }
        return (node, parts[^1]);
    }

    private static bool Has(JsonNode parent, string key) => parent switch
    {
        JsonObject o => o.ContainsKey(key),
        JsonArray a => int.TryParse(key, out var i) && i >= 0 && i < a.Count,
        _ => false,
    };

    private static void Set(JsonNode parent, string key, JsonNode? value, bool add)
    {
        switch (parent)
        {
            case JsonObject o:
                o[key] = value;
                break;
            case JsonArray a when key == "-" && add:
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(key, out var i) && i >= 0 && i <= a.Count:
                if (add) a.Insert(i, value);
                else a[i] = value;
                break;
            default:
                throw new PatchException(422, "Invalid", $"cannot set {key}");
        }
    }
}
