using System.Text.Json.Serialization;

namespace EdgePortal.Core.Domain;

[JsonConverter(typeof(EntityIdJsonConverter<ScheduleId>))]
public readonly record struct ScheduleId(Guid Value) : IEntityId<ScheduleId>
{
    public static ScheduleId New() => new(Guid.CreateVersion7());
    public static ScheduleId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(EntityIdJsonConverter<ScheduleRunId>))]
public readonly record struct ScheduleRunId(Guid Value) : IEntityId<ScheduleRunId>
{
    public static ScheduleRunId New() => new(Guid.CreateVersion7());
    public static ScheduleRunId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(EntityIdJsonConverter<MaintenanceWindowId>))]
public readonly record struct MaintenanceWindowId(Guid Value) : IEntityId<MaintenanceWindowId>
{
    public static MaintenanceWindowId New() => new(Guid.CreateVersion7());
    public static MaintenanceWindowId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(EntityIdJsonConverter<AutomationDecisionId>))]
public readonly record struct AutomationDecisionId(Guid Value) : IEntityId<AutomationDecisionId>
{
    public static AutomationDecisionId New() => new(Guid.CreateVersion7());
    public static AutomationDecisionId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(EntityIdJsonConverter<DrainId>))]
public readonly record struct DrainId(Guid Value) : IEntityId<DrainId>
{
    public static DrainId New() => new(Guid.CreateVersion7());
    public static DrainId From(Guid value) => new(value);
    public override string ToString() => Value.ToString();
}
