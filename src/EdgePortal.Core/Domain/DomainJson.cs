using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgePortal.Core.Domain;

/// <summary>
/// The one JSON shape of the domain: camelCase names, enums as strings, ids as bare Guids. The REST
/// API, the hub and the database all use it, so a document read in one place reads the same in another.
/// </summary>
public static class DomainJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter());
        options.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        return options;
    }
}
