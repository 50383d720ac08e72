using System.Text.Json.Serialization;

namespace EdgePortal.Core.Domain;

/// <summary>A strongly-typed identifier: a Guid that cannot be confused with another kind of id.</summary>
public interface IEntityId<TSelf> where TSelf : struct, IEntityId<TSelf>
{
    Guid Value { get; }
    static abstract TSelf From(Guid value);
}

[JsonConverter(typeof(EntityIdJsonConverter<TenantId>))]
public readonly record struct TenantId(Guid Value) : IEntityId<TenantId>
{
    public static TenantId New() => new(Guid.CreateVersion7());
    public static TenantId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(EntityIdJsonConverter<ClusterId>))]
public readonly record struct ClusterId(Guid Value) : IEntityId<ClusterId>
{
    public static ClusterId New() => new(Guid.CreateVersion7());
    public static ClusterId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(EntityIdJsonConverter<NodeId>))]
public readonly record struct NodeId(Guid Value) : IEntityId<NodeId>
{
    public static NodeId New() => new(Guid.CreateVersion7());
    public static NodeId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(EntityIdJsonConverter<LinkId>))]
public readonly record struct LinkId(Guid Value) : IEntityId<LinkId>
{
    public static LinkId New() => new(Guid.CreateVersion7());
    public static LinkId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(EntityIdJsonConverter<ServiceId>))]
public readonly record struct ServiceId(Guid Value) : IEntityId<ServiceId>
{
    public static ServiceId New() => new(Guid.CreateVersion7());
    public static ServiceId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(EntityIdJsonConverter<UserGroupId>))]
public readonly record struct UserGroupId(Guid Value) : IEntityId<UserGroupId>
{
    public static UserGroupId New() => new(Guid.CreateVersion7());
    public static UserGroupId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

/// <summary>
/// The migrations requested together and planned as one (a drain's wave, a schedule's firing, one evaluation of the KPI
/// monitor, a <c>POST /api/v1/migrations:batch</c> call): stored with each of them (<see cref="Migration.BatchId"/>).
/// </summary>
[JsonConverter(typeof(EntityIdJsonConverter<BatchId>))]
public readonly record struct BatchId(Guid Value) : IEntityId<BatchId>
{
    public static BatchId New() => new(Guid.CreateVersion7());
    public static BatchId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(EntityIdJsonConverter<MigrationId>))]
public readonly record struct MigrationId(Guid Value) : IEntityId<MigrationId>
{
    public static MigrationId New() => new(Guid.CreateVersion7());
    public static MigrationId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

/// <summary>Writes every id as its bare Guid string, so JSON, URLs and the database agree.</summary>
public sealed class EntityIdJsonConverter<TId> : JsonConverter<TId> where TId : struct, IEntityId<TId>
{
    public override TId Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
        => TId.From(reader.GetGuid());

    public override void Write(System.Text.Json.Utf8JsonWriter writer, TId value, System.Text.Json.JsonSerializerOptions options)
        => writer.WriteStringValue(value.Value);

    public override TId ReadAsPropertyName(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
        => TId.From(Guid.Parse(reader.GetString()!));

    public override void WriteAsPropertyName(System.Text.Json.Utf8JsonWriter writer, TId value, System.Text.Json.JsonSerializerOptions options)
        => writer.WritePropertyName(value.Value.ToString());
}
