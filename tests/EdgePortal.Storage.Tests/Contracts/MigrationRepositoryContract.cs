using EdgePortal.Core.Domain;
using EdgePortal.Storage.Tests.Stores;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Contracts;

public abstract class MigrationRepositoryContract : StoreContract
{
    private readonly TenantId _sky = TenantId.New();
    private readonly TenantId _arena = TenantId.New();
    private readonly ClusterId _centro = ClusterId.New();
    private readonly ClusterId _nord = ClusterId.New();
    private readonly ServiceInstance _flight;
    private readonly ServiceInstance _telemetry;
    private readonly ServiceInstance _match;

    protected MigrationRepositoryContract(TestStore store) : base(store)
    {
        _flight = Service(_sky, "flight-control", NodeId.New());
        _telemetry = Service(_sky, "telemetry-ingest", NodeId.New());
        _match = Service(_arena, "match-state", NodeId.New());
    }

    private static void AssertSame(Migration expected, Migration? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal((expected.Id, expected.TenantId, expected.ServiceId, expected.ClusterId, expected.ServiceName),
            (actual.Id, actual.TenantId, actual.ServiceId, actual.ClusterId, actual.ServiceName));
        Assert.Equal((expected.State, expected.Version, expected.CancelRequested, expected.FailedStep, expected.FailureReason),
            (actual.State, actual.Version, actual.CancelRequested, actual.FailedStep, actual.FailureReason));
        Assert.Equal((expected.CreatedAt, expected.StartedAt, expected.FinishedAt), (actual.CreatedAt, actual.StartedAt, actual.FinishedAt));
        Assert.Equal((expected.Objective, expected.Trigger, expected.RequestedBy), (actual.Objective, actual.Trigger, actual.RequestedBy));
        Assert.Equal(expected.Targets, actual.Targets);
        // A step's retries are a list: compared by content, the rest of the step (artifacts included) as a record.
        Assert.Equal(expected.Steps.Select(s => s with { Retries = null }), actual.Steps.Select(s => s with { Retries = null }));
        Assert.Equal(expected.Steps.Select(s => s.Retries ?? []), actual.Steps.Select(s => s.Retries ?? []));
        Assert.Equal(expected.Plan.Steps, actual.Plan.Steps);
        Assert.Equal(expected.Plan with { Steps = actual.Plan.Steps }, actual.Plan);
    }

    [Fact]
    public void SaveThenFind_ReservationsAndPredictedStart_RoundTripTheLedgerOfItsPath()
    {
        var queued = NewMigration(_flight, _centro, T0);
        var plan = queued.Plan with { PredictedStartMs = 1_250.5, Capacity = CapacityChoice.Wait };
        LinkReservation[] path = [new(LinkId.New(), Bandwidth.FromMegabits(500)), new(LinkId.New(), Bandwidth.FromMegabits(500))];
        var migration = Migration.Create(_flight, _centro, plan, _flight.Targets, _flight.Objective, MigrationTrigger.Api, "ci", T0, path);
        migration.Start(T0.AddSeconds(1));

        Migrations.Save(migration);
        var found = Migrations.Find(migration.Id);

        AssertSame(migration, found);
        Assert.Equal(path, found!.Reservations);
        Assert.Equal((1_250.5, CapacityChoice.Wait), (found.Plan.PredictedStartMs, found.Plan.Capacity));
        Assert.True(found.HoldsReservations);
        Assert.Equal(path, Migrations.Unfinished().Single(m => m.Id == migration.Id).Reservations);
    }

    [Fact]
    public void List_ByBatch_ReturnsOnlyThatBatchNewestFirstAndKeepsItAcrossAReopen()
    {
        var batch = BatchId.New();
        var other = BatchId.New();
        Migration InBatch(ServiceInstance service, BatchId? id, int minute)
        {
            var template = NewMigration(service, _centro, T0.AddMinutes(minute));
            var migration = Migration.Create(service, _centro, template.Plan, service.Targets, service.Objective, MigrationTrigger.Drain, "ci",
                T0.AddMinutes(minute), [], id);
            Migrations.Save(migration);
            return migration;
        }
        var first = InBatch(_flight, batch, 0);
        var second = InBatch(_match, batch, 1);
        InBatch(_telemetry, other, 2);
        InBatch(_telemetry, null, 3);

        Reopen();
        var found = Migrations.List(new MigrationQuery(Batch: batch));
        var ownTenant = Migrations.List(new MigrationQuery(Batch: batch, Tenant: _sky));

        Assert.Equal([second.Id, first.Id], found.Select(m => m.Id));
        Assert.All(found, m => Assert.Equal(batch, m.BatchId));
        Assert.Equal([first.Id], ownTenant.Select(m => m.Id));
        Assert.Null(Migrations.List(new MigrationQuery(Service: _telemetry.Id)).First().BatchId);
        Assert.Empty(Migrations.List(new MigrationQuery(Batch: BatchId.New())));
    }

    /// <summary>Saves one migration per (service, cluster, state), a minute apart, and returns them oldest first.</summary>
    private List<Migration> SaveHistory()
    {
        var specs = new (ServiceInstance Service, ClusterId Cluster, MigrationState State)[]
        {
            (_flight, _centro, MigrationState.Completed),
            (_flight, _centro, MigrationState.RolledBack),
            (_telemetry, _nord, MigrationState.Completed),
            (_match, _centro, MigrationState.Cancelled),
            (_flight, _nord, MigrationState.Failed),
            (_match, _centro, MigrationState.RollingBack),
            (_telemetry, _nord, MigrationState.Running),
            (_flight, _centro, MigrationState.Queued),
        };
        var saved = new List<Migration>();
        for (var i = 0; i < specs.Length; i++)
        {
            var migration = DriveTo(NewMigration(specs[i].Service, specs[i].Cluster, T0.AddMinutes(i)), specs[i].State);
            Migrations.Save(migration);
            saved.Add(migration);
        }
        return saved;
    }

    private static IEnumerable<MigrationId> NewestFirst(IEnumerable<Migration> migrations)
        => migrations.OrderByDescending(m => m.CreatedAt).Select(m => m.Id);

    [Fact]
    public void SaveThenFind_MidFlight_RoundTripsStateStepsAndVersion()
    {
        var migration = NewMigration(_flight, _centro, T0);
        migration.Start(T0.AddSeconds(1));
        migration.BeginStep(0, T0.AddSeconds(2));
        migration.CompleteStep(0, 130.25, "checkpoint 12 MB", T0.AddSeconds(3));
        migration.BeginStep(1, T0.AddSeconds(3));

        Migrations.Save(migration);

        AssertSame(migration, Migrations.Find(migration.Id));
    }

    [Fact]
    public void SaveThenFind_StepsWithArtifactsAndRetries_RoundTripsEveryField()
    {
        var migration = NewMigration(_flight, _centro, T0);
        migration.Start(T0.AddSeconds(1));
        migration.BeginStep(0, T0.AddSeconds(2));
        migration.RetryStep(0, "the agent on edge-1 is unreachable", TimeSpan.FromSeconds(10), T0.AddSeconds(3));
        var everything = new StepArtifacts
        {
            ArchivePath = "/var/lib/kubelet/checkpoints/checkpoint-flight.tar", Container = "flight", RootfsImage = "quay.io/sky/flight:1",
            Image = "registry:5000/edgeportal/flight:m-1", ImageDigest = "sha256:" + new string('a', 64), ImagesId = "flight-0123",
            SourcePod = "flight-5d8f7", TargetPod = "flight-m01234567", RestoredPid = 4242, PageServer = "10.0.0.2:27000",
            ServiceAddress = "10.0.0.99/24", ReplayQueue = "flight.q.edgeportal-replay.1", ResumeQueue = "flight.q.edgeportal-resume.1",
            MarkedAt = T0.AddSeconds(2.5), MarkedSequence = 9_000_000_000, PausedAt = 9_000_000_123,
        };
        migration.CompleteStep(0, 130.25, "checkpoint 12 MB", T0.AddSeconds(14), everything);
        migration.BeginStep(1, T0.AddSeconds(14));

        Migrations.Save(migration);
        var found = Migrations.Find(migration.Id);

        AssertSame(migration, found);
        Assert.Equal(everything, found!.Steps[0].Artifacts);
        Assert.Equal(everything, found.Artifacts);
        Assert.Equal(2, found.Steps[0].Attempts);
        var retry = Assert.Single(found.Steps[0].Retries!);
        Assert.Equal((1, T0.AddSeconds(3), "the agent on edge-1 is unreachable", 10_000d), (retry.Attempt, retry.At, retry.Error, retry.RetryAfterMs));
        Assert.Null(found.Steps[1].Artifacts);
    }

    [Fact]
    public void Find_UnknownId_ReturnsNull()
    {
        Migrations.Save(NewMigration(_flight, _centro, T0));
        Assert.Null(Migrations.Find(MigrationId.New()));
    }

    [Fact]
    public void Save_AgainAfterTransitions_ReplacesTheStoredAggregate()
    {
        var migration = NewMigration(_flight, _centro, T0);
        Migrations.Save(migration);
        DriveTo(migration, MigrationState.RolledBack);

        Migrations.Save(migration);

        var stored = Migrations.Find(migration.Id);
        AssertSame(migration, stored);
        Assert.Single(Migrations.List(new MigrationQuery()));
    }

    [Fact]
    public void Find_AfterReload_ContinuesTheEventSequence()
    {
        var migration = DriveTo(NewMigration(_flight, _centro, T0), MigrationState.Running);
        Migrations.Save(migration);
        Reopen();

        var loaded = Migrations.Find(migration.Id)!;
        loaded.CompleteStep(0, 99, null, T0.AddMinutes(1));

        Assert.Equal(migration.Version + 1, Assert.Single(loaded.DequeueEvents()).Sequence);
    }

    [Fact]
    public void List_NoFilter_ReturnsAllNewestFirst()
    {
        var saved = SaveHistory();

        Assert.Equal(NewestFirst(saved), Migrations.List(new MigrationQuery()).Select(m => m.Id));
    }

    [Fact]
    public void List_ByTenant_ReturnsOnlyThatTenantsMigrations()
    {
        var saved = SaveHistory();

        var arena = Migrations.List(new MigrationQuery(Tenant: _arena));

        Assert.Equal(NewestFirst(saved.Where(m => m.TenantId == _arena)), arena.Select(m => m.Id));
        Assert.Equal(2, arena.Count);
        Assert.Empty(Migrations.List(new MigrationQuery(Tenant: TenantId.New())));
    }

    [Fact]
    public void List_ByCluster_ReturnsOnlyThatClustersMigrations()
    {
        var saved = SaveHistory();

        Assert.Equal(NewestFirst(saved.Where(m => m.ClusterId == _nord)), Migrations.List(new MigrationQuery(Cluster: _nord)).Select(m => m.Id));
    }

    [Fact]
    public void List_ByService_ReturnsOnlyThatServicesMigrations()
    {
        var saved = SaveHistory();

        Assert.Equal(NewestFirst(saved.Where(m => m.ServiceId == _flight.Id)), Migrations.List(new MigrationQuery(Service: _flight.Id)).Select(m => m.Id));
    }

    [Fact]
    public void List_ByStates_ReturnsOnlyThoseStates()
    {
        var saved = SaveHistory();
        MigrationState[] states = [MigrationState.Completed, MigrationState.Failed];

        var listed = Migrations.List(new MigrationQuery(States: states));

        Assert.Equal(NewestFirst(saved.Where(m => states.Contains(m.State))), listed.Select(m => m.Id));
        Assert.Equal(3, listed.Count);
    }

    [Fact]
    public void List_EmptyStates_DoesNotFilter()
    {
        var saved = SaveHistory();
        Assert.Equal(saved.Count, Migrations.List(new MigrationQuery(States: [])).Count);
    }

    [Fact]
    public void List_CombinedFilters_AreAnded()
    {
        var saved = SaveHistory();

        var listed = Migrations.List(new MigrationQuery(Tenant: _sky, Cluster: _centro, Service: _flight.Id, States: [MigrationState.Completed, MigrationState.Queued]));

        Assert.Equal(NewestFirst(saved.Where(m => m.ServiceId == _flight.Id && m.ClusterId == _centro && m.State is MigrationState.Completed or MigrationState.Queued)),
            listed.Select(m => m.Id));
        Assert.Equal(2, listed.Count);
    }

    [Fact]
    public void List_Limit_ReturnsTheNewestOnes()
    {
        var saved = SaveHistory();

        var listed = Migrations.List(new MigrationQuery(Limit: 3));

        Assert.Equal(NewestFirst(saved).Take(3), listed.Select(m => m.Id));
    }

    [Fact]
    public void List_LimitWithFilter_AppliesTheFilterFirst()
    {
        var saved = SaveHistory();

        var listed = Migrations.List(new MigrationQuery(Tenant: _sky, Limit: 2));

        Assert.Equal(NewestFirst(saved.Where(m => m.TenantId == _sky)).Take(2), listed.Select(m => m.Id));
    }

    [Fact]
    public void List_CreatedAtWithMillisecondsInTheSameFormat_IsNewestFirst()
    {
        var at = new DateTimeOffset(2025, 3, 14, 10, 0, 0, 100, TimeSpan.Zero);
        var created = new[] { at, at.AddMilliseconds(500), at.AddMilliseconds(50), at.AddMilliseconds(5), at.AddSeconds(1) };
        var saved = created.Select(c => NewMigration(_flight, _centro, c)).ToList();
        foreach (var migration in saved)
            Migrations.Save(migration);

        Assert.Equal(NewestFirst(saved), Migrations.List(new MigrationQuery()).Select(m => m.Id));
    }

    [Fact]
    public void List_WholeSecondThenFractionalSecond_IsNewestFirst()
    {
        // DomainJson writes 10:00:00 without a fraction and 10:00:00.5 with one.
        var older = NewMigration(_flight, _centro, new DateTimeOffset(2025, 3, 14, 10, 0, 0, TimeSpan.Zero));
        var newer = NewMigration(_telemetry, _nord, new DateTimeOffset(2025, 3, 14, 10, 0, 0, 500, TimeSpan.Zero));
        Migrations.Save(older);
        Migrations.Save(newer);

        Assert.Equal([newer.Id, older.Id], Migrations.List(new MigrationQuery()).Select(m => m.Id));
    }

    [Fact]
    public void List_CreatedAtWithDifferentOffsets_IsNewestFirstInRealTime()
    {
        // 10:00 in Rome (+02:00) is 08:00 UTC, an hour before 09:00 UTC.
        var older = NewMigration(_flight, _centro, new DateTimeOffset(2025, 6, 1, 10, 0, 0, TimeSpan.FromHours(2)));
        var newer = NewMigration(_telemetry, _nord, new DateTimeOffset(2025, 6, 1, 9, 0, 0, TimeSpan.Zero));
        Migrations.Save(older);
        Migrations.Save(newer);

        Assert.Equal([newer.Id, older.Id], Migrations.List(new MigrationQuery()).Select(m => m.Id));
        Assert.Equal(newer.Id, Assert.Single(Migrations.List(new MigrationQuery(Limit: 1))).Id);
    }

    [Fact]
    public void Unfinished_ReturnsQueuedRunningAndRollingBackOnly()
    {
        var saved = SaveHistory();

        var unfinished = Migrations.Unfinished();

        Assert.Equal(
            saved.Where(m => m.State is MigrationState.Queued or MigrationState.Running or MigrationState.RollingBack).Select(m => m.Id.Value).Order(),
            unfinished.Select(m => m.Id.Value).Order());
        Assert.All(unfinished, m => Assert.False(m.IsTerminal));
        Assert.Equal(3, unfinished.Count);
    }

    [Fact]
    public void Unfinished_MoreThanTheDefaultLimit_ReturnsAll()
    {
        for (var i = 0; i < 205; i++)
            Migrations.Save(NewMigration(_flight, _centro, T0.AddSeconds(i)));

        Assert.Equal(205, Migrations.Unfinished().Count);
        Assert.Equal(200, Migrations.List(new MigrationQuery()).Count);
    }

    [Fact]
    public void Unfinished_AfterReopen_AreStillThere()
    {
        var saved = SaveHistory();
        Reopen();

        Assert.Equal(3, Migrations.Unfinished().Count);
        AssertSame(saved[6], Migrations.Find(saved[6].Id));
    }
}
