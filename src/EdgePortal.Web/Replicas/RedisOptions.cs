using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EdgePortal.Web.Replicas;

/// <summary>Bound to <c>EdgePortal:Redis</c>. The key name is fixed: scripts and the deployment depend on it.</summary>
public sealed class RedisOptions
{
    public const string Section = "EdgePortal:Redis";

    /// <summary>
    /// A StackExchange.Redis configuration string (e.g. <c>redis:6379,password=…</c>). Set: the SignalR backplane and
    /// the cross-replica event stream run through it. Empty (default): one replica, nothing crosses processes.
    /// </summary>
    public string? Configuration { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Configuration);

    public static RedisOptions Read(IConfiguration configuration)
        => configuration.GetSection(Section).Get<RedisOptions>() ?? new RedisOptions();
}

public sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
            return ValidateOptionsResult.Success;
        try
        {
            _ = ConfigurationOptions.Parse(options.Configuration!);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail($"{RedisOptions.Section}:Configuration is not a StackExchange.Redis configuration string: {e.Message}");
        }
    }
}
