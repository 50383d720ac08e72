using EdgePortal.Core.Domain;
using static EdgePortal.Core.Tests.Domain.DomainSamples;

namespace EdgePortal.Core.Tests.Domain;

public sealed class MigrationTests
{
    private static readonly int StepCount = Steps().Count;

    private static Migration Running(out DateTimeOffset now)
    {
        var migration = Queued();
        now = T0.AddSeconds(1);
        migration.Start(now);
        return migration;
    }

    private static void AssertSequenced(IReadOnlyList<MigrationEvent> events, Migration migration, long firstSequence)
    {
        Assert.Equal(Enumerable.Range(0, events.Count).Select(i => firstSequence + i), events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal((migration.Id, migration.TenantId), (e.MigrationId, e.TenantId)));
        Assert.Equal(migration.Version, events[^1].Sequence);
    }

    // ---- Create ------------------------------------------------------------------------------

    [Fact]
    public void Create_ValidPlan_IsQueuedWithPendingStepsCopiedFromThePlan()
    {
        var source = NodeId.New();
        var destination = NodeId.New();
        var service = Service(source, "geofence-cache");
        var cluster = ClusterId.New();
        var plan = Plan(source, destination);

        var migration = Migration.Create(service, cluster, plan, service.Targets, Objective.MinResources, MigrationTrigger.KpiMonitor, "  monitor ", T0);

        Assert.Equal(MigrationState.Queued, migration.State);
        Assert.Equal((service.TenantId, service.Id, cluster, "geofence-cache"), (migration.TenantId, migration.ServiceId, migration.ClusterId, migration.ServiceName));
        Assert.Equal((source, destination, MigrationStrategy.PreCopy), (migration.Source, migration.Destination, migration.Strategy));
        Assert.Equal((Objective.MinResources, MigrationTrigger.KpiMonitor, "monitor"), (migration.Objective, migration.Trigger, migration.RequestedBy));
        Assert.Equal(T0, migration.CreatedAt);
        Assert.Null(migration.StartedAt);
        Assert.Null(migration.FinishedAt);
        Assert.Equal(1, migration.Version);
        Assert.False(migration.IsTerminal);
        Assert.False(migration.IsInFlight);
        Assert.Equal(0, migration.Progress);
        Assert.Equal(
            plan.Steps.Select((p, i) => new MigrationStep(i, p.Kind, p.Round, p.IsDowntime, p.PredictedMs, StepStatus.Pending, null, null, null, null)),
            migration.Steps);
        Assert.Equal(0, migration.NextStep!.Index);
    }

    [Fact]
    public void Create_ValidPlan_RaisesQueuedWithSequenceOne()
    {
        var migration = Queued();
        var queued = Assert.IsType<MigrationQueued>(Assert.Single(migration.DequeueEvents()));
        Assert.Equal(new MigrationQueued(migration.Id, migration.TenantId, T0, 1, MigrationStrategy.PreCopy, migration.Source, migration.Destination), queued);
        Assert.Empty(migration.DequeueEvents());
    }

    [Fact]
    public void Create_PlanStartingElsewhere_ThrowsNamingPlanAndService()
    {
        var service = Service(NodeId.New(), "match-state");
        var plan = Plan(NodeId.New(), NodeId.New());
        var e = Assert.Throws<ArgumentException>(() => Migration.Create(service, ClusterId.New(), plan, service.Targets, Objective.MinDowntime, MigrationTrigger.Api, "bob", T0));
        Assert.Equal("plan", e.ParamName);
        Assert.Contains("match-state", e.Message);
        Assert.Contains(service.NodeId.ToString(), e.Message);
    }

    [Fact]
    public void Create_DestinationIsSource_ThrowsNamingPlan()
    {
        var node = NodeId.New();
        var service = Service(node);
        var e = Assert.Throws<ArgumentException>(() => Migration.Create(service, ClusterId.New(), Plan(node, node), service.Targets, Objective.MinDowntime, MigrationTrigger.Api, "bob", T0));
        Assert.Equal("plan", e.ParamName);
        Assert.Contains("destination other than its source", e.Message);
    }

    [Fact]
    public void Create_PlanWithoutSteps_ThrowsNamingPlan()
    {
        var node = NodeId.New();
        var service = Service(node);
        var e = Assert.Throws<ArgumentException>(() => Migration.Create(service, ClusterId.New(), Plan(node, NodeId.New(), []), service.Targets, Objective.MinDowntime, MigrationTrigger.Api, "bob", T0));
        Assert.Equal("plan", e.ParamName);
        Assert.Contains("without steps", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Create_BlankRequester_ThrowsNamingRequestedBy(string requestedBy)
    {
        var node = NodeId.New();
        var service = Service(node);
        var e = Assert.Throws<ArgumentException>(() => Migration.Create(service, ClusterId.New(), Plan(node, NodeId.New()), service.Targets, Objective.MinDowntime, MigrationTrigger.Api, requestedBy, T0));
        Assert.Equal("requestedBy", e.ParamName);
    }

    [Fact]
    public void Create_NullServiceOrPlan_ThrowsArgumentNull()
    {
        var node = NodeId.New();
        var service = Service(node);
        Assert.Equal("service", Assert.Throws<ArgumentNullException>(() => Migration.Create(null!, ClusterId.New(), Plan(node, NodeId.New()), Targets(), Objective.MinDowntime, MigrationTrigger.Api, "bob", T0)).ParamName);
        Assert.Equal("plan", Assert.Throws<ArgumentNullException>(() => Migration.Create(service, ClusterId.New(), null!, Targets(), Objective.MinDowntime, MigrationTrigger.Api, "bob", T0)).ParamName);
    }

    // ---- Happy path --------------------------------------------------------------------------

    [Fact]
    public void HappyPath_AllStepsThenComplete_IsCompletedWithOrderedEvents()
    {
        var migration = Queued();
        var now = T0.AddSeconds(1);
        migration.Start(now);
        Assert.Equal(MigrationState.Running, migration.State);
        Assert.True(migration.IsInFlight);
        var end = RunSteps(migration, StepCount, now);
        Assert.Null(migration.NextStep);
        Assert.Null(migration.MeasuredDowntimeMs);
        migration.Complete(end);

        var events = migration.DequeueEvents();

        Assert.Equal(MigrationState.Completed, migration.State);
        Assert.True(migration.IsTerminal);
        Assert.False(migration.IsInFlight);
        Assert.Equal(1, migration.Progress);
        Assert.Equal((now, end), (migration.StartedAt, migration.FinishedAt));
        Assert.All(migration.Steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        var expectedTypes = new List<Type> { typeof(MigrationQueued), typeof(MigrationStarted) };
        for (var i = 0; i < StepCount; i++)
            expectedTypes.AddRange([typeof(StepStarted), typeof(StepCompleted)]);
        expectedTypes.Add(typeof(MigrationFinished));
        Assert.Equal(expectedTypes, events.Select(e => e.GetType()));
        AssertSequenced(events, migration, 1);
        Assert.Equal(events.Select(e => e.At).Order(), events.Select(e => e.At));
        Assert.Equal(Enumerable.Range(0, StepCount), events.OfType<StepStarted>().Select(e => e.Index));
        Assert.Equal(Enumerable.Range(0, StepCount), events.OfType<StepCompleted>().Select(e => e.Index));
    }

    [Fact]
    public void Complete_StepWithFrozenInterval_CountsTheFreezeNotTheWholeStep()
    {
        var migration = Running(out var now);
        for (var i = 0; i < StepCount; i++)
        {
            now = now.AddSeconds(1);
            migration.BeginStep(i, now);
            now = now.AddSeconds(1);
            // Step 1 is not a downtime step, step 2 is: both report a live dump's freeze within them (40 and 30 ms of 101 and 102).
            migration.CompleteStep(i, 100 + i, $"step {i} ok", now, frozenMs: i is 1 or 2 ? 40 - (i - 1) * 10 : null);
        }
        migration.Complete(now);

        Assert.Equal((40, 30), (migration.Steps[1].DowntimeMs, migration.Steps[2].DowntimeMs));
        Assert.Equal(40 + 30 + 103 + 104, migration.MeasuredDowntimeMs);
    }

    [Fact]
    public void Complete_AfterAllSteps_MeasuresDowntimeAsTheSumOfDowntimeSteps()
    {
        var migration = Running(out var now);
        migration.DequeueEvents();
        var end = RunSteps(migration, StepCount, now);
        migration.Complete(end);

        // Steps 2, 3 and 4 are the downtime steps; RunSteps measures 100 + index ms each.
        Assert.Equal(102 + 103 + 104, migration.MeasuredDowntimeMs);
        Assert.Equal((end - now).TotalMilliseconds, migration.MeasuredMigrationTimeMs);
        var finished = Assert.IsType<MigrationFinished>(migration.DequeueEvents()[^1]);
        Assert.Equal(MigrationState.Completed, finished.State);
        Assert.Equal(309, finished.MeasuredDowntimeMs);
        Assert.Equal(migration.MeasuredMigrationTimeMs, finished.MeasuredMigrationTimeMs);
    }

    [Fact]
    public void CompleteStep_RecordsMeasurementAndMessage()
    {
        var migration = Running(out var now);
        migration.BeginStep(0, now.AddMilliseconds(5));
        Assert.Equal(StepStatus.Running, migration.Steps[0].Status);
        Assert.Equal(now.AddMilliseconds(5), migration.Steps[0].StartedAt);
        migration.CompleteStep(0, 42.5, "profiled", now.AddMilliseconds(50));

        var step = migration.Steps[0];
        Assert.Equal((StepStatus.Succeeded, 42.5, "profiled", now.AddMilliseconds(50)), (step.Status, step.MeasuredMs!.Value, step.Message, step.FinishedAt!.Value));
        Assert.Equal(1d / StepCount, migration.Progress, 9);
        Assert.Equal(1, migration.NextStep!.Index);
        var completed = Assert.IsType<StepCompleted>(migration.DequeueEvents()[^1]);
        Assert.Equal((0, StepKind.Profile, 50d, 42.5, "profiled"), (completed.Index, completed.Kind, completed.PredictedMs, completed.MeasuredMs, completed.Message));
    }

    [Theory]
    [InlineData(-1d)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void CompleteStep_BadMeasurement_ThrowsNamingMeasuredMsAndChangesNothing(double measured)
    {
        var migration = Running(out var now);
        migration.BeginStep(0, now);
        var version = migration.Version;

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => migration.CompleteStep(0, measured, null, now));

        Assert.Equal("measuredMs", e.ParamName);
        Assert.Equal(StepStatus.Running, migration.Steps[0].Status);
        Assert.Equal(version, migration.Version);
    }

    [Theory]
    [InlineData(-1d)]
    [InlineData(double.NaN)]
    public void FailStep_BadMeasurement_ThrowsNamingMeasuredMs(double measured)
    {
        var migration = Running(out var now);
        migration.BeginStep(0, now);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => migration.FailStep(0, "boom", measured, now));

        Assert.Equal("measuredMs", e.ParamName);
        Assert.Equal(MigrationState.Running, migration.State);
    }

    // ---- Illegal transitions -----------------------------------------------------------------

    public static TheoryData<string, Action<Migration>, string> IllegalTransitions => new()
    {
        { "complete while queued", m => m.Complete(T0), "Cannot complete migration {id}: it is Queued, not Running." },
        { "begin a step while queued", m => m.BeginStep(0, T0), "Cannot begin a step of migration {id}: it is Queued, not Running." },
        { "abort while queued", m => m.Abort("deadline", T0), "Cannot abort migration {id}: it is Queued, not Running." },
        { "complete rollback while queued", m => m.CompleteRollback("ok", T0), "Cannot complete the rollback of migration {id}: it is Queued, not RollingBack." },
        { "start twice", m => { m.Start(T0); m.Start(T0); }, "Cannot start migration {id}: it is Running, not Queued." },
        { "begin step out of order", m => { m.Start(T0); m.BeginStep(1, T0); }, "Cannot begin step 1 of migration {id}: the next step to run is 0 (Pending)." },
        { "begin the running step again", m => { m.Start(T0); m.BeginStep(0, T0); m.BeginStep(0, T0); }, "Cannot begin step 0 of migration {id}: the next step to run is 0 (Running)." },
        { "begin the next step while one runs", m => { m.Start(T0); m.BeginStep(0, T0); m.BeginStep(1, T0); }, "Cannot begin step 1 of migration {id}: the next step to run is 0 (Running)." },
        { "begin a step after all succeeded", m => { m.Start(T0); RunSteps(m, StepCount, T0); m.BeginStep(0, T0); }, "Cannot begin step 0 of migration {id}: the next step to run is none (all done)." },
        { "complete a pending step", m => { m.Start(T0); m.CompleteStep(0, 1, null, T0); }, "Cannot complete step 0 (Profile) of migration {id}: it is Pending, not Running." },
        { "complete a succeeded step", m => { m.Start(T0); RunSteps(m, 1, T0); m.CompleteStep(0, 1, null, T0); }, "Cannot complete step 0 (Profile) of migration {id}: it is Succeeded, not Running." },
        { "complete a step past the end", m => { m.Start(T0); m.CompleteStep(StepCount, 1, null, T0); }, $"Cannot complete step {StepCount} of migration {{id}}: it has {StepCount} steps." },
        { "complete a negative step", m => { m.Start(T0); m.CompleteStep(-1, 1, null, T0); }, $"Cannot complete step -1 of migration {{id}}: it has {StepCount} steps." },
        { "fail a pending step", m => { m.Start(T0); m.FailStep(1, "boom", 1, T0); }, "Cannot fail step 1 (Pre-dump) of migration {id}: it is Pending, not Running." },
        { "complete with pending steps", m => { m.Start(T0); RunSteps(m, 2, T0); m.Complete(T0); }, "Cannot complete migration {id}: step 2 has not succeeded." },
        { "complete with a running step", m => { m.Start(T0); RunSteps(m, 2, T0); m.BeginStep(2, T0); m.Complete(T0); }, "Cannot complete migration {id}: step 2 has not succeeded." },
        { "complete rollback while running", m => { m.Start(T0); m.CompleteRollback("ok", T0); }, "Cannot complete the rollback of migration {id}: it is Running, not RollingBack." },
        { "fail rollback while running", m => { m.Start(T0); m.FailRollback("boom", T0); }, "Cannot fail the rollback of migration {id}: it is Running, not RollingBack." },
        { "cancel a completed one", m => { m.Start(T0); RunSteps(m, StepCount, T0); m.Complete(T0); m.Cancel("late", T0); }, "Cannot cancel migration {id}: it is Completed." },
        { "cancel while rolling back", m => { m.Start(T0); m.BeginStep(0, T0); m.FailStep(0, "boom", 1, T0); m.Cancel("again", T0); }, "Cannot cancel migration {id}: it is RollingBack." },
        { "cancel a cancelled one", m => { m.Cancel("first", T0); m.Cancel("second", T0); }, "Cannot cancel migration {id}: it is Cancelled." },
        { "start a cancelled one", m => { m.Cancel("first", T0); m.Start(T0); }, "Cannot start migration {id}: it is Cancelled, not Queued." },
        { "complete a step while rolling back", m => { m.Start(T0); m.BeginStep(0, T0); m.Abort("deadline", T0); m.CompleteStep(0, 1, null, T0); }, "Cannot complete a step of migration {id}: it is RollingBack, not Running." },
        { "abort while rolling back", m => { m.Start(T0); m.Abort("deadline", T0); m.Abort("again", T0); }, "Cannot abort migration {id}: it is RollingBack, not Running." },
        { "complete a rolled back one", m => { m.Start(T0); m.Abort("deadline", T0); m.CompleteRollback("ok", T0); m.Complete(T0); }, "Cannot complete migration {id}: it is RolledBack, not Running." },
        { "fail the rollback of a failed one", m => { m.Start(T0); m.Abort("deadline", T0); m.FailRollback("boom", T0); m.FailRollback("again", T0); }, "Cannot fail the rollback of migration {id}: it is Failed, not RollingBack." },
    };

    [Theory]
    [MemberData(nameof(IllegalTransitions))]
    public void IllegalTransition_Throws_WithAMessageNamingTheStateFound(string scenario, Action<Migration> act, string message)
    {
        var migration = Queued();

        var e = Assert.Throws<InvalidMigrationTransitionException>(() => act(migration));

        var expected = message.Replace("{id}", migration.Id.ToString());
        Assert.True(expected == e.Message, $"{scenario}:\n  expected: {expected}\n  actual:   {e.Message}");
    }

    [Fact]
    public void IllegalTransition_LeavesStateVersionAndEventsUnchanged()
    {
        var migration = Running(out var now);
        RunSteps(migration, 2, now);
        var before = (migration.State, migration.Version, Steps: migration.Steps.ToList());
        var events = migration.DequeueEvents().Count;

        Assert.Throws<InvalidMigrationTransitionException>(() => migration.BeginStep(4, now));
        Assert.Throws<InvalidMigrationTransitionException>(() => migration.Complete(now));
        Assert.Throws<InvalidMigrationTransitionException>(() => migration.CompleteRollback("no", now));

        Assert.Equal(before.State, migration.State);
        Assert.Equal(before.Version, migration.Version);
        Assert.Equal(before.Steps, migration.Steps);
        Assert.Empty(migration.DequeueEvents());
        Assert.Equal(2 + 2 * 2, events);
    }

    [Fact]
    public void InvalidMigrationTransitionException_IsAnInvalidOperationException()
        => Assert.IsAssignableFrom<InvalidOperationException>(new InvalidMigrationTransitionException("x"));

    // ---- Failure and rollback ----------------------------------------------------------------

    [Fact]
    public void FailStep_RunningStep_RollsBackAndSkipsPendingSteps()
    {
        var migration = Running(out var now);
        now = RunSteps(migration, 2, now);
        migration.BeginStep(2, now);
        migration.DequeueEvents();

        migration.FailStep(2, "criu dump: No space left on device", 37, now.AddSeconds(1));

        Assert.Equal(MigrationState.RollingBack, migration.State);
        Assert.True(migration.IsInFlight);
        Assert.False(migration.IsTerminal);
        Assert.Equal(2, migration.FailedStep);
        Assert.Equal("Checkpoint failed: criu dump: No space left on device", migration.FailureReason);
        Assert.Equal([StepStatus.Succeeded, StepStatus.Succeeded, StepStatus.Failed, StepStatus.Skipped, StepStatus.Skipped, StepStatus.Skipped],
            migration.Steps.Select(s => s.Status));
        Assert.Equal((37d, "criu dump: No space left on device"), (migration.Steps[2].MeasuredMs!.Value, migration.Steps[2].Message));
        var events = migration.DequeueEvents();
        Assert.Collection(events,
            e => Assert.Equal((2, StepKind.Checkpoint, "criu dump: No space left on device"), (Assert.IsType<StepFailed>(e).Index, ((StepFailed)e).Kind, ((StepFailed)e).Error)),
            e => Assert.Equal("Checkpoint failed: criu dump: No space left on device", Assert.IsType<RollbackStarted>(e).Reason));
        AssertSequenced(events, migration, events[0].Sequence);
    }

    [Fact]
    public void CompleteRollback_AfterFailedStep_IsRolledBack()
    {
        var migration = Running(out var now);
        migration.BeginStep(0, now);
        migration.FailStep(0, "agent unreachable", 3, now);
        migration.DequeueEvents();
        var end = now.AddSeconds(4);

        migration.CompleteRollback("source serving again", end);

        Assert.Equal(MigrationState.RolledBack, migration.State);
        Assert.True(migration.IsTerminal);
        Assert.Equal(end, migration.FinishedAt);
        Assert.Null(migration.MeasuredDowntimeMs);
        Assert.Null(migration.MeasuredMigrationTimeMs);
        Assert.Equal("Profile failed: agent unreachable", migration.FailureReason);
        Assert.DoesNotContain(migration.Steps, s => s.Status is StepStatus.Pending or StepStatus.Running);
        var finished = Assert.IsType<MigrationFinished>(Assert.Single(migration.DequeueEvents()));
        Assert.Equal((MigrationState.RolledBack, "source serving again", end, migration.Version),
            (finished.State, finished.Message, finished.At, finished.Sequence));
        Assert.Null(finished.MeasuredDowntimeMs);
    }

    [Fact]
    public void FailRollback_WhileRollingBack_IsFailedAndKeepsBothReasons()
    {
        var migration = Running(out var now);
        migration.BeginStep(0, now);
        migration.FailStep(0, "agent unreachable", 3, now);
        migration.DequeueEvents();

        migration.FailRollback("source pod gone", now.AddSeconds(2));

        Assert.Equal(MigrationState.Failed, migration.State);
        Assert.True(migration.IsTerminal);
        Assert.Equal("Profile failed: agent unreachable; rollback failed: source pod gone", migration.FailureReason);
        var finished = Assert.IsType<MigrationFinished>(Assert.Single(migration.DequeueEvents()));
        Assert.Equal((MigrationState.Failed, migration.FailureReason), (finished.State, finished.Message));
    }

    [Fact]
    public void Abort_WithARunningStep_FailsThatStepAndRollsBack()
    {
        var migration = Running(out var now);
        now = RunSteps(migration, 3, now);
        migration.BeginStep(3, now);
        migration.DequeueEvents();

        migration.Abort("deadline passed", now.AddSeconds(1));

        Assert.Equal(MigrationState.RollingBack, migration.State);
        Assert.Equal(3, migration.FailedStep);
        Assert.Equal("deadline passed", migration.FailureReason);
        Assert.False(migration.CancelRequested);
        Assert.Equal((StepStatus.Failed, "deadline passed"), (migration.Steps[3].Status, migration.Steps[3].Message));
        Assert.Equal([StepStatus.Skipped, StepStatus.Skipped], migration.Steps.Skip(4).Select(s => s.Status));
        Assert.Equal("deadline passed", Assert.IsType<RollbackStarted>(Assert.Single(migration.DequeueEvents())).Reason);

        migration.CompleteRollback("rolled back", now.AddSeconds(2));
        Assert.Equal(MigrationState.RolledBack, migration.State);
    }

    [Fact]
    public void Abort_BetweenSteps_RollsBackWithoutAFailedStep()
    {
        var migration = Running(out var now);
        RunSteps(migration, 1, now);

        migration.Abort("host restarted", now);

        Assert.Equal(MigrationState.RollingBack, migration.State);
        Assert.Null(migration.FailedStep);
        Assert.Equal(StepStatus.Succeeded, migration.Steps[0].Status);
        Assert.All(migration.Steps.Skip(1), s => Assert.Equal(StepStatus.Skipped, s.Status));
    }

    // ---- Cancel ------------------------------------------------------------------------------

    [Fact]
    public void Cancel_WhileQueued_IsCancelledAtOnce()
    {
        var migration = Queued();
        migration.DequeueEvents();
        var at = T0.AddMinutes(1);

        migration.Cancel("operator changed their mind", at);

        Assert.Equal(MigrationState.Cancelled, migration.State);
        Assert.True(migration.IsTerminal);
        Assert.True(migration.CancelRequested);
        Assert.Equal("operator changed their mind", migration.FailureReason);
        Assert.Equal(at, migration.FinishedAt);
        Assert.Null(migration.StartedAt);
        Assert.All(migration.Steps, s => Assert.Equal(StepStatus.Skipped, s.Status));
        var finished = Assert.IsType<MigrationFinished>(Assert.Single(migration.DequeueEvents()));
        Assert.Equal((MigrationState.Cancelled, "operator changed their mind", 2L), (finished.State, finished.Message, finished.Sequence));
    }

    [Fact]
    public void Cancel_WhileRunning_RollsBackThenCompleteRollbackIsCancelled()
    {
        var migration = Running(out var now);
        now = RunSteps(migration, 1, now);
        migration.BeginStep(1, now);
        migration.DequeueEvents();

        migration.Cancel("operator", now.AddSeconds(1));

        Assert.Equal(MigrationState.RollingBack, migration.State);
        Assert.True(migration.CancelRequested);
        Assert.Equal((StepStatus.Failed, "Cancelled"), (migration.Steps[1].Status, migration.Steps[1].Message));
        Assert.All(migration.Steps.Skip(2), s => Assert.Equal(StepStatus.Skipped, s.Status));
        Assert.Equal("operator", Assert.IsType<RollbackStarted>(Assert.Single(migration.DequeueEvents())).Reason);

        migration.CompleteRollback("source serving", now.AddSeconds(2));

        Assert.Equal(MigrationState.Cancelled, migration.State);
        Assert.Equal(MigrationState.Cancelled, Assert.IsType<MigrationFinished>(Assert.Single(migration.DequeueEvents())).State);
    }

    [Fact]
    public void Cancel_WhileRunningThenRollbackFails_IsFailed()
    {
        var migration = Running(out var now);
        migration.Cancel("operator", now);

        migration.FailRollback("cannot restart source", now);

        Assert.Equal(MigrationState.Failed, migration.State);
        Assert.Equal("operator; rollback failed: cannot restart source", migration.FailureReason);
    }

    // ---- Events ------------------------------------------------------------------------------

    [Fact]
    public void DequeueEvents_AcrossSeveralCalls_ContinuesTheSequenceWithoutGapsOrRepeats()
    {
        var migration = Queued();
        var all = new List<MigrationEvent>(migration.DequeueEvents());
        migration.Start(T0);
        all.AddRange(migration.DequeueEvents());
        migration.BeginStep(0, T0);
        migration.FailStep(0, "boom", 1, T0);
        all.AddRange(migration.DequeueEvents());
        migration.CompleteRollback("ok", T0);
        all.AddRange(migration.DequeueEvents());

        Assert.Equal([typeof(MigrationQueued), typeof(MigrationStarted), typeof(StepStarted), typeof(StepFailed), typeof(RollbackStarted), typeof(MigrationFinished)],
            all.Select(e => e.GetType()));
        AssertSequenced(all, migration, 1);
        Assert.Equal(6, migration.Version);
    }

    [Fact]
    public void StepStarted_CarriesThePlannedStep()
    {
        var migration = Running(out var now);
        RunSteps(migration, 2, now);
        migration.BeginStep(2, now);

        var started = Assert.IsType<StepStarted>(migration.DequeueEvents()[^1]);

        Assert.Equal((2, StepKind.Checkpoint, 0, true, 120d), (started.Index, started.Kind, started.Round, started.IsDowntime, started.PredictedMs));
    }

    [Theory]
    [InlineData(StepKind.PreDump, 0, "Pre-dump")]
    [InlineData(StepKind.PreDump, 2, "Dump round 2")]
    [InlineData(StepKind.SwitchTraffic, 0, "Switch traffic")]
    [InlineData(StepKind.ReplayMessages, 0, "Replay messages")]
    [InlineData(StepKind.CleanUp, 0, "Clean up")]
    [InlineData(StepKind.Transfer, 0, "Transfer")]
    public void StepLabel_ByKindAndRound_IsHumanReadable(StepKind kind, int round, string label)
    {
        Assert.Equal(label, new PlannedStep(kind, round, 1, false).Label);
        Assert.Equal(label, new MigrationStep(0, kind, round, false, 1, StepStatus.Pending, null, null, null, null).Label);
    }

    // ---- Retries, artifacts and resume ------------------------------------------------------

    [Fact]
    public void RetryStep_RunningStep_RecordsTheAttemptAndKeepsTheStepRunning()
    {
        var migration = Running(out var now);
        migration.BeginStep(0, now);
        migration.DequeueEvents();

        migration.RetryStep(0, "agent unreachable", TimeSpan.FromSeconds(10), now.AddSeconds(1));

        var step = migration.Steps[0];
        Assert.Equal((StepStatus.Running, 2), (step.Status, step.Attempts));
        Assert.Equal(new StepAttempt(1, now.AddSeconds(1), "agent unreachable", 10_000), Assert.Single(step.Retries!));
        var e = Assert.IsType<StepRetrying>(Assert.Single(migration.DequeueEvents()));
        Assert.Equal((0, 1, 10_000d), (e.Index, e.Attempt, e.RetryAfterMs));
    }

    [Fact]
    public void RetryStep_StepNotRunning_Throws()
    {
        var migration = Running(out var now);

        Assert.Throws<InvalidMigrationTransitionException>(() => migration.RetryStep(0, "x", TimeSpan.FromSeconds(1), now));
    }

    [Fact]
    public void CompleteStep_WithArtifacts_LaterStepsOverlayEarlierOnes()
    {
        var migration = Running(out var now);
        migration.BeginStep(0, now);
        migration.CompleteStep(0, 1, null, now, new StepArtifacts { SourcePod = "a", ArchivePath = "/ckpt/1.tar" });
        migration.BeginStep(1, now);
        migration.CompleteStep(1, 1, null, now, new StepArtifacts { SourcePod = "b", Image = "registry/x:1" });

        Assert.Equal(new StepArtifacts { SourcePod = "b", ArchivePath = "/ckpt/1.tar", Image = "registry/x:1" }, migration.Artifacts);
    }

    [Fact]
    public void Resume_InsideAStep_PutsItBackToPendingAndNamesTheNextStep()
    {
        var migration = Running(out var now);
        migration.BeginStep(0, now);
        migration.CompleteStep(0, 1, null, now);
        migration.BeginStep(1, now);
        migration.DequeueEvents();

        migration.Resume("restarted", now);

        Assert.Equal((StepStatus.Pending, (DateTimeOffset?)null), (migration.Steps[1].Status, migration.Steps[1].StartedAt));
        Assert.Equal(1, migration.NextStep!.Index);
        Assert.Equal(1, Assert.IsType<MigrationResumed>(Assert.Single(migration.DequeueEvents())).NextStep);
        migration.BeginStep(1, now);
        Assert.Equal(2, migration.Steps[1].Attempts);
    }
}
