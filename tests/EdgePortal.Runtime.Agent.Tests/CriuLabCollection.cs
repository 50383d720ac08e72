namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// The CRIU lab tests, one at a time and alone: each brings up a lab, runs real CRIU and real services on two shared cores
/// and measures gaps in milliseconds, which another lab test running beside it would distort.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CriuLabCollection
{
    public const string Name = "CRIU lab";
}
