namespace EdgePortal.Agent.Addresses;

/// <summary>A host command that failed: its title and its own words, answered as a 422 problem.</summary>
public sealed class HostCommandException(string title, string detail) : Exception(detail)
{
    public string Title { get; } = title;
}
