namespace EdgePortal.Core.Execution;

/// <summary>
/// This process among the portal's replicas: a name unique to the process (host, process id and a random suffix, so a
/// restarted pod on the same host is a new replica), for leases, the scheduler's instance id and event origins.
/// </summary>
public sealed record ReplicaIdentity(string Name)
{
    public static ReplicaIdentity ForThisProcess()
        => new($"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");

    public override string ToString() => Name;
}
