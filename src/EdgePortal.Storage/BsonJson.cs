using System.Text.Json;
using EdgePortal.Core.Domain;
using LiteDB;
using JsonSerializer = System.Text.Json.JsonSerializer;

namespace EdgePortal.Storage;

/// <summary>
/// Stores domain values as BSON documents whose shape is the domain's JSON (<see cref="DomainJson"/>):
/// the domain keeps its validating constructors and never learns about LiteDB, and the database file
/// holds readable, queryable fields (tenantId, state, ...) rather than an opaque blob.
/// </summary>
internal static class BsonJson
{
    public static BsonDocument ToDocument<T>(T value, Guid id)
    {
        using var json = JsonSerializer.SerializeToDocument(value, DomainJson.Options);
        var document = (BsonDocument)ToBson(json.RootElement);
        document["_id"] = id;
        return document;
    }

    public static T FromDocument<T>(BsonDocument document)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
            WriteJson(writer, document, skipId: true);
        return JsonSerializer.Deserialize<T>(buffer.WrittenSpan, DomainJson.Options)
            ?? throw new InvalidDataException($"Document {document["_id"]} holds null.");
    }

    private static BsonValue ToBson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => new BsonDocument(element.EnumerateObject().ToDictionary(p => p.Name, p => ToBson(p.Value))),
        JsonValueKind.Array => new BsonArray(element.EnumerateArray().Select(ToBson)),
        JsonValueKind.String => new BsonValue(element.GetString()),
        JsonValueKind.Number when element.TryGetInt32(out var i) => new BsonValue(i),
        JsonValueKind.Number when element.TryGetInt64(out var l) => new BsonValue(l),
        JsonValueKind.Number => new BsonValue(element.GetDouble()),
        JsonValueKind.True => new BsonValue(true),
        JsonValueKind.False => new BsonValue(false),
        _ => BsonValue.Null,
    };

    private static void WriteJson(Utf8JsonWriter writer, BsonValue value, bool skipId = false)
    {
        switch (value.Type)
        {
            case BsonType.Document:
                writer.WriteStartObject();
                foreach (var (name, field) in value.AsDocument)
                {
                    if (skipId && name == "_id")
                        continue;
                    writer.WritePropertyName(name);
                    WriteJson(writer, field);
                }
                writer.WriteEndObject();
                break;
            case BsonType.Array:
                writer.WriteStartArray();
                foreach (var item in value.AsArray)
                    WriteJson(writer, item);
                writer.WriteEndArray();
                break;
            case BsonType.String: writer.WriteStringValue(value.AsString); break;
            case BsonType.Guid: writer.WriteStringValue(value.AsGuid); break;
            case BsonType.Int32: writer.WriteNumberValue(value.AsInt32); break;
            case BsonType.Int64: writer.WriteNumberValue(value.AsInt64); break;
            case BsonType.Double: writer.WriteNumberValue(value.AsDouble); break;
            case BsonType.Decimal: writer.WriteNumberValue(value.AsDecimal); break;
            case BsonType.Boolean: writer.WriteBooleanValue(value.AsBoolean); break;
            case BsonType.DateTime: writer.WriteStringValue(value.AsDateTime.ToUniversalTime()); break;
            default: writer.WriteNullValue(); break;
        }
    }
}
