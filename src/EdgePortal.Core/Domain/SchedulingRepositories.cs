namespace EdgePortal.Core.Domain;

public interface IScheduleRepository
{
    IReadOnlyList<Schedule> List();
    Schedule? Find(ScheduleId id);
    void Save(Schedule schedule);
    bool Delete(ScheduleId id);

    void SaveRun(ScheduleRun run);
    /// <summary>Newest first.</summary>
    IReadOnlyList<ScheduleRun> Runs(ScheduleId id, int limit = 50);
}

public interface IMaintenanceWindowRepository
{
    IReadOnlyList<MaintenanceWindow> List(ClusterId? cluster = null);
    MaintenanceWindow? Find(MaintenanceWindowId id);
    void Save(MaintenanceWindow window);
    bool Delete(MaintenanceWindowId id);
}

public interface IAutomationDecisionRepository
{
    void Save(AutomationDecision decision);
    /// <summary>Newest first.</summary>
    IReadOnlyList<AutomationDecision> List(ServiceId? service = null, int limit = 200);
}

public interface IDrainRepository
{
    void Save(DrainOperation drain);
    DrainOperation? Find(DrainId id);
    /// <summary>Newest first.</summary>
    IReadOnlyList<DrainOperation> List(int limit = 50);
}
