using System.Collections.Concurrent;
using EdgePortal.Core.Domain;

namespace EdgePortal.Testing;

/// <summary>Automation decisions kept in memory, newest first.</summary>
public sealed class InMemoryDecisionRepository : IAutomationDecisionRepository
{
    private readonly ConcurrentBag<AutomationDecision> _decisions = [];

    public void Save(AutomationDecision decision) => _decisions.Add(decision);
    public IReadOnlyList<AutomationDecision> List(ServiceId? service = null, int limit = 200)
        => [.. _decisions.Where(d => service is null || d.ServiceId == service).OrderByDescending(d => d.At).Take(limit)];
}
