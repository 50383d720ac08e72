using System.Net;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// An agent answered with an error, or could not be reached in time. The message names the node and the call and carries
/// the agent's own words (and so CRIU's, the registry's or the peer's); <see cref="Status"/> and <see cref="AgentWords"/>
/// let a caller say it its own way.
/// </summary>
public sealed class AgentCallException : Exception
{
    public AgentCallException()
    {
    }

    public AgentCallException(string message)
        : base(message)
    {
    }

    public AgentCallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <param name="unreachable">The agent did not answer (connection failed, or no answer within the call's bound).</param>
    /// <param name="status">The agent's HTTP status, when it answered.</param>
    /// <param name="agentWords">The problem's title and detail (or its validation errors), or the body as it came.</param>
    public AgentCallException(string message, bool unreachable, HttpStatusCode? status = null, string? agentWords = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Unreachable = unreachable;
        Status = status;
        AgentWords = agentWords;
    }

    /// <summary>The agent did not answer: worth retrying later, unlike a refusal.</summary>
    public bool Unreachable { get; }

    /// <summary>The agent's HTTP status; null when it did not answer.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>What the agent said: its problem's title and detail (or validation errors), or the body as it came.</summary>
    public string? AgentWords { get; }
}
