using Microsoft.Extensions.Options;

namespace EdgePortal.Testing;

/// <summary>Options that never change, for a class that takes an <see cref="IOptionsMonitor{TOptions}"/> built by hand in a test.</summary>
public sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
