using EdgePortal.Core.Domain;
using Npgsql;
using static EdgePortal.Storage.PostgreSql.Documents;

namespace EdgePortal.Storage.PostgreSql;

internal sealed class PostgreSqlScheduleRepository(PostgreSqlDatabase database) : IScheduleRepository
{
    public IReadOnlyList<Schedule> List() => All<Schedule>(database, "schedules").OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase).ToList();

    public Schedule? Find(ScheduleId id) => Find<Schedule>(database, "schedules", id.Value);

    public void Save(Schedule schedule) => Upsert(database, "schedules", schedule.Id.Value, schedule);

    public bool Delete(ScheduleId id) => Documents.Delete(database, "schedules", id.Value);

    public void SaveRun(ScheduleRun run)
        => Upsert(database, "schedule_runs", run.Id.Value, run, new Column("schedule_id", run.ScheduleId.Value), new Column("at_ticks", run.FiredAt.UtcTicks));

    public IReadOnlyList<ScheduleRun> Runs(ScheduleId id, int limit = 50)
    {
        var parameters = new List<NpgsqlParameter> { new("schedule", id.Value) };
        return database.Query<ScheduleRun>(NewestFirst("schedule_runs", "at_ticks", ["schedule_id = @schedule"], parameters, null, limit), [.. parameters]);
    }
}

internal sealed class PostgreSqlMaintenanceWindowRepository(PostgreSqlDatabase database) : IMaintenanceWindowRepository
{
    public IReadOnlyList<MaintenanceWindow> List(ClusterId? cluster = null)
        => (cluster is { } c
                ? database.Query<MaintenanceWindow>("SELECT doc FROM maintenance_windows WHERE cluster_id = @cluster", new NpgsqlParameter("cluster", c.Value))
                : All<MaintenanceWindow>(database, "maintenance_windows"))
            .OrderBy(w => w.Name, StringComparer.OrdinalIgnoreCase).ToList();

    public MaintenanceWindow? Find(MaintenanceWindowId id) => Find<MaintenanceWindow>(database, "maintenance_windows", id.Value);

    public void Save(MaintenanceWindow window) => Upsert(database, "maintenance_windows", window.Id.Value, window, new Column("cluster_id", window.ClusterId.Value));

    public bool Delete(MaintenanceWindowId id) => Documents.Delete(database, "maintenance_windows", id.Value);
}

internal sealed class PostgreSqlAutomationDecisionRepository(PostgreSqlDatabase database) : IAutomationDecisionRepository
{
    public void Save(AutomationDecision decision)
        => Upsert(database, "automation_decisions", decision.Id.Value, decision, new Column("service_id", decision.ServiceId.Value), new Column("at_ticks", decision.At.UtcTicks));

    public IReadOnlyList<AutomationDecision> List(ServiceId? service = null, int limit = 200)
    {
        var parameters = new List<NpgsqlParameter>();
        var where = new List<string>();
        if (service is { } s)
        {
            where.Add("service_id = @service");
            parameters.Add(new NpgsqlParameter("service", s.Value));
        }
        return database.Query<AutomationDecision>(NewestFirst("automation_decisions", "at_ticks", where, parameters, null, limit), [.. parameters]);
    }
}

internal sealed class PostgreSqlDrainRepository(PostgreSqlDatabase database) : IDrainRepository
{
    public void Save(DrainOperation drain) => Upsert(database, "drains", drain.Id.Value, drain, new Column("at_ticks", drain.StartedAt.UtcTicks));

    public DrainOperation? Find(DrainId id) => Find<DrainOperation>(database, "drains", id.Value);

    public IReadOnlyList<DrainOperation> List(int limit = 50)
    {
        var parameters = new List<NpgsqlParameter>();
        return database.Query<DrainOperation>(NewestFirst("drains", "at_ticks", [], parameters, null, limit), [.. parameters]);
    }
}
