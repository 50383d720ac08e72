using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Simulated;

/// <summary>Bound to <c>EdgePortal:Simulator:Mobility</c>: whether the simulated users travel, and how fast.</summary>
public sealed class MobilityOptions
{
    public const string Section = "EdgePortal:Simulator:Mobility";

    /// <summary>Users move along their routes (default false: they stay where the seed put them).</summary>
    public bool Enabled { get; set; }

    /// <summary>Sites a user group passes per minute of real time (default 2).</summary>
    public double SitesPerMinute { get; set; } = 2;

    /// <summary>How often positions are advanced (default 1 s).</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Sites on each group's route, its starting site included (default 4).</summary>
    public int RouteLength { get; set; } = 4;

    /// <summary>Seed of the routes and the groups' pace; the same seed gives the same journeys (default 42).</summary>
    public int Seed { get; set; } = 42;
}

public sealed class MobilityOptionsValidator : IValidateOptions<MobilityOptions>
{
    public ValidateOptionsResult Validate(string? name, MobilityOptions options)
    {
        const string s = MobilityOptions.Section;
        var failures = new List<string>();
        if (!double.IsFinite(options.SitesPerMinute) || options.SitesPerMinute <= 0)
            failures.Add($"{s}:SitesPerMinute must be > 0 (was {options.SitesPerMinute}).");
        if (options.TickInterval < TimeSpan.FromMilliseconds(10))
            failures.Add($"{s}:TickInterval must be at least 00:00:00.01 (was {options.TickInterval}).");
        if (options.RouteLength < 2)
            failures.Add($"{s}:RouteLength must be ≥ 2 (was {options.RouteLength}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

public static class MobilityServiceCollectionExtensions
{
    /// <summary>The mobility model and its timer (options in <c>EdgePortal:Simulator:Mobility</c>; off by default).</summary>
    public static IServiceCollection AddUserMobility(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MobilityOptions>().Bind(configuration.GetSection(MobilityOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MobilityOptions>, MobilityOptionsValidator>());
        services.TryAddSingleton<UserMobility>();
        services.AddHostedService<UserMobilityDriver>();
        return services;
    }
}
