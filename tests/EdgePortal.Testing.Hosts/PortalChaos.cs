using System.Net.Http.Json;
using System.Text.Json;

namespace EdgePortal.Testing.Hosts;

/// <summary>What the portal's store showed when a chaos test struck during step k: the step's kind and status.</summary>
/// <param name="Label">"&lt;kind&gt; &lt;status&gt;", e.g. "Transfer Running".</param>
/// <param name="Kind">The step's kind (Profile, Checkpoint, Transfer, …).</param>
/// <param name="Running">Whether the step was running (not just done) at that moment.</param>
public sealed record StepAtKill(string Label, string Kind, bool Running);

/// <summary>
/// The chaos tests' driver over a real portal process's REST API (the simulated edge's and the real CRIU lab's alike): wait
/// until step k of a migration runs, so that the caller strikes then (SIGKILL of the portal, of an agent), and wait until
/// the migration has finished after the restart.
/// </summary>
public static class PortalChaos
{
    /// <summary>
    /// Polls the migration until step <paramref name="k"/> runs (or has just ended, or the migration ended), and says what
    /// the store showed then. The caller strikes at once after it returns.
    /// </summary>
    public static async Task<StepAtKill> WaitForStepAsync(HttpClient api, string id, int k, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            var migration = await api.GetFromJsonAsync<JsonElement>($"api/v1/migrations/{id}");
            var step = migration.GetProperty("steps")[k];
            var status = step.GetProperty("status").GetString();
            var state = migration.GetProperty("state").GetString();
            if (status == "Running" || status == "Succeeded" || state is not ("Queued" or "Running"))
            {
                var kind = step.GetProperty("kind").GetString() ?? "";
                if (status is not ("Running" or "Succeeded"))
                    throw new InvalidOperationException($"Step {k} ({kind}) of migration {id} was neither running nor just done when the migration ended {state}: {migration}");
                return new StepAtKill($"{kind} {status}", kind, status == "Running");
            }
        }
        throw new TimeoutException($"Step {k} of migration {id} never started.");
    }

    /// <summary>Polls the migration until it is Completed, RolledBack, Cancelled or Failed, and returns it.</summary>
    public static async Task<JsonElement> FinishedAsync(HttpClient api, string id, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            var migration = await api.GetFromJsonAsync<JsonElement>($"api/v1/migrations/{id}");
            if (migration.GetProperty("state").GetString() is "Completed" or "RolledBack" or "Cancelled" or "Failed")
                return migration;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Migration {id} did not finish within {(timeout ?? TimeSpan.FromSeconds(120)).TotalSeconds:0} s: {migration}");
            await Task.Delay(50);
        }
    }
}
