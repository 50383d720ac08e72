namespace EdgePortal.Core.Execution;

/// <summary>
/// What every runtime says when a post-copy fails after its service resumed at the destination: it has run there since, so
/// the only way is forward (the source's copy is stale, and the destination's memory is partly still on the source).
/// </summary>
public static class PostCopyRollback
{
    /// <summary>The rollback's words: no way back, and what became of the service.</summary>
    /// <param name="sourceLost">The source (or its lazy dump) is gone with the pages not yet copied: the service is lost.</param>
    /// <param name="detail">What the runtime knows besides (how much was missing, what it cleaned up); may be empty.</param>
    public static string ForwardOnly(RollbackContext c, bool sourceLost, string detail = "")
    {
        ArgumentNullException.ThrowIfNull(c);
        return $"post-copy cannot roll back once {c.Service.Name} has resumed on {c.Destination.Name}: it has run there since, so the only way is forward. "
            + (sourceLost
                ? $"{c.Source.Name} is down with the pages not yet copied: {c.Service.Name} is lost; redeploy it from its image and state backup"
                : $"{c.Source.Name} still holds the pages not yet copied and keeps {c.Service.Name} frozen: start the page-in again, or redeploy")
            + (detail.Length > 0 ? $" ({detail})" : "");
    }
}
