using EdgePortal.Core.Domain;
using LiteDB;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Storage;

/// <summary>The automation's collections: new in schema 3 without changing any existing document, so no upgrade step.</summary>
internal static class SchedulingCollections
{
    public const string Schedules = "schedules";
    public const string ScheduleRuns = "scheduleRuns";
    public const string MaintenanceWindows = "maintenanceWindows";
    public const string AutomationDecisions = "automationDecisions";
    public const string Drains = "drains";

    /// <summary>A numeric copy of the record's time (UTC ticks) to sort by, as migrations do.</summary>
    public const string Ticks = "atTicks";

    public static void EnsureIndexes(ILiteDatabase database)
    {
        database.GetCollection(Schedules).EnsureIndex("tenantId", "$.tenantId");
        var runs = database.GetCollection(ScheduleRuns);
        runs.EnsureIndex("scheduleId", "$.scheduleId");
        runs.EnsureIndex(Ticks, "$." + Ticks);
        database.GetCollection(MaintenanceWindows).EnsureIndex("clusterId", "$.clusterId");
        var decisions = database.GetCollection(AutomationDecisions);
        decisions.EnsureIndex("serviceId", "$.serviceId");
        decisions.EnsureIndex(Ticks, "$." + Ticks);
        database.GetCollection(Drains).EnsureIndex(Ticks, "$." + Ticks);
    }

    public static IServiceCollection AddSchedulingRepositories(this IServiceCollection services)
    {
        services.AddSingleton<IScheduleRepository, LiteDbScheduleRepository>();
        services.AddSingleton<IMaintenanceWindowRepository, LiteDbMaintenanceWindowRepository>();
        services.AddSingleton<IAutomationDecisionRepository, LiteDbAutomationDecisionRepository>();
        services.AddSingleton<IDrainRepository, LiteDbDrainRepository>();
        return services;
    }

    public static BsonDocument WithTicks<T>(T value, Guid id, DateTimeOffset at)
    {
        var document = BsonJson.ToDocument(value, id);
        document[Ticks] = at.UtcTicks;
        return document;
    }
}

internal sealed class LiteDbScheduleRepository(EdgeDatabase database) : IScheduleRepository
{
    private ILiteCollection<BsonDocument> Schedules => database.Database.GetCollection(SchedulingCollections.Schedules);
    private ILiteCollection<BsonDocument> RunCollection => database.Database.GetCollection(SchedulingCollections.ScheduleRuns);

    public IReadOnlyList<Schedule> List() => Schedules.FindAll().Select(BsonJson.FromDocument<Schedule>).OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase).ToList();

    public Schedule? Find(ScheduleId id) => Schedules.FindById(id.Value) is { } d ? BsonJson.FromDocument<Schedule>(d) : null;

    public void Save(Schedule schedule) => Schedules.Upsert(BsonJson.ToDocument(schedule, schedule.Id.Value));

    public bool Delete(ScheduleId id) => Schedules.Delete(id.Value);

    public void SaveRun(ScheduleRun run) => RunCollection.Upsert(SchedulingCollections.WithTicks(run, run.Id.Value, run.FiredAt));

    public IReadOnlyList<ScheduleRun> Runs(ScheduleId id, int limit = 50)
        => LiteDbPages.NewestFirst(RunCollection.Query().Where(Query.EQ("$.scheduleId", id.Value.ToString())), SchedulingCollections.Ticks, null, limit)
            .Select(BsonJson.FromDocument<ScheduleRun>).ToList();
}

internal sealed class LiteDbMaintenanceWindowRepository(EdgeDatabase database) : IMaintenanceWindowRepository
{
    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(SchedulingCollections.MaintenanceWindows);

    public IReadOnlyList<MaintenanceWindow> List(ClusterId? cluster = null)
        => (cluster is { } c ? Collection.Find(Query.EQ("$.clusterId", c.Value.ToString())) : Collection.FindAll())
            .Select(BsonJson.FromDocument<MaintenanceWindow>).OrderBy(w => w.Name, StringComparer.OrdinalIgnoreCase).ToList();

    public MaintenanceWindow? Find(MaintenanceWindowId id) => Collection.FindById(id.Value) is { } d ? BsonJson.FromDocument<MaintenanceWindow>(d) : null;

    public void Save(MaintenanceWindow window) => Collection.Upsert(BsonJson.ToDocument(window, window.Id.Value));

    public bool Delete(MaintenanceWindowId id) => Collection.Delete(id.Value);
}

internal sealed class LiteDbAutomationDecisionRepository(EdgeDatabase database) : IAutomationDecisionRepository
{
    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(SchedulingCollections.AutomationDecisions);

    public void Save(AutomationDecision decision) => Collection.Upsert(SchedulingCollections.WithTicks(decision, decision.Id.Value, decision.At));

    public IReadOnlyList<AutomationDecision> List(ServiceId? service = null, int limit = 200)
    {
        var q = Collection.Query();
        if (service is { } s)
            q = q.Where(Query.EQ("$.serviceId", s.Value.ToString()));
        return LiteDbPages.NewestFirst(q, SchedulingCollections.Ticks, null, limit).Select(BsonJson.FromDocument<AutomationDecision>).ToList();
    }
}

internal sealed class LiteDbDrainRepository(EdgeDatabase database) : IDrainRepository
{
    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(SchedulingCollections.Drains);

    public void Save(DrainOperation drain) => Collection.Upsert(SchedulingCollections.WithTicks(drain, drain.Id.Value, drain.StartedAt));

    public DrainOperation? Find(DrainId id) => Collection.FindById(id.Value) is { } d ? BsonJson.FromDocument<DrainOperation>(d) : null;

    public IReadOnlyList<DrainOperation> List(int limit = 50)
        => LiteDbPages.NewestFirst(Collection.Query(), SchedulingCollections.Ticks, null, limit).Select(BsonJson.FromDocument<DrainOperation>).ToList();
}
