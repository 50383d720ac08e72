using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Testing;

/// <summary>
/// Cancels between engines in one test process, as the Redis relay carries them between replicas: the engine whose
/// <see cref="MigrationEngine.Owner"/> the cancel names receives it; false when no engine of that name has joined.
/// </summary>
public sealed class InMemoryCancelRelay : IMigrationCancelForwarder
{
    private readonly Lock _gate = new();
    private readonly List<MigrationEngine> _engines = [];

    public void Join(MigrationEngine engine)
    {
        lock (_gate)
            _engines.Add(engine);
    }

    public bool Forward(MigrationId id, string owner, string reason)
    {
        MigrationEngine? engine;
        lock (_gate)
            engine = _engines.Find(e => e.Owner == owner);
        if (engine is null)
            return false;
        engine.Cancel(id, reason);
        return true;
    }
}
