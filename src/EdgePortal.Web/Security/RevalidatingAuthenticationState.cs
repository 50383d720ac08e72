using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace EdgePortal.Web.Security;

/// <summary>
/// The authentication state of a Blazor circuit, checked again at once when the circuit starts, at every
/// <see cref="SessionValidator.Interval"/> and at every access change on this replica (<see cref="AccessChanges"/>): when the
/// user lost its access, the circuit becomes anonymous, so its page is replaced by the way to the login form and nothing it
/// showed keeps updating. What ASP.NET Core's <c>RevalidatingServerAuthenticationStateProvider</c> does, but timed by the
/// portal's <see cref="TimeProvider"/> (tests drive it on a fake clock) and woken by access changes.
/// </summary>
public sealed class RevalidatingAuthenticationState : ServerAuthenticationStateProvider, IDisposable
{
    private static readonly AuthenticationState Anonymous = new(new ClaimsPrincipal(new ClaimsIdentity()));

    private readonly SessionValidator _validator;
    private readonly AccessChanges _changes;
    private readonly ILogger<RevalidatingAuthenticationState> _logger;
    private CancellationTokenSource? _loop;

    public RevalidatingAuthenticationState(SessionValidator validator, AccessChanges changes, ILogger<RevalidatingAuthenticationState> logger)
    {
        _validator = validator;
        _changes = changes;
        _logger = logger;
        AuthenticationStateChanged += Follow;
    }

    private void Follow(Task<AuthenticationState> state)
    {
        var loop = new CancellationTokenSource();
        Stop(Interlocked.Exchange(ref _loop, loop));
        _ = RevalidateAsync(state, loop.Token);
    }

    private async Task RevalidateAsync(Task<AuthenticationState> task, CancellationToken cancellationToken)
    {
        try
        {
            var state = await task;
            if (state.User.Identity?.IsAuthenticated != true)
                return;
            while (true)
            {
                var changed = _changes.Next;
                if (_validator.Refusal(state.User) is { } why)
                {
                    _logger.LogInformation("Ended the circuit session of {User}: {Reason}", state.User.Identity.Name, why);
                    SetAuthenticationState(Task.FromResult(Anonymous));
                    return;
                }
                await _validator.NextCheckAsync(changed, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A store that cannot answer ends nothing: the next state change starts checking again.
            _logger.LogError(e, "Revalidating a circuit's authentication state failed");
        }
    }

    public void Dispose()
    {
        AuthenticationStateChanged -= Follow;
        Stop(Interlocked.Exchange(ref _loop, null));
    }

    private static void Stop(CancellationTokenSource? loop)
    {
        loop?.Cancel();
        loop?.Dispose();
    }
}
