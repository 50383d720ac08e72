using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Limits;

/// <summary>
/// <c>EdgePortal:Limits</c>: what one tenant (or one caller) may ask of the portal, so that no one can flood the
/// scheduler, the store or the edge. Lengths of names and text are fixed (<see cref="Core.Domain.InputLimits"/>).
/// </summary>
public sealed class LimitsOptions
{
    public const string Section = "EdgePortal:Limits";

    /// <summary>The shortest time between two firings of a cron schedule; a more frequent cron is refused.</summary>
    public TimeSpan MinCronInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many schedules one tenant (and the provider, for its own) may have.</summary>
    public int MaxSchedulesPerTenant { get; set; } = 100;

    /// <summary>The quotas a new tenant gets when its creator gives none.</summary>
    public TenantQuotaDefaults NewTenantQuotas { get; set; } = new();
}

/// <summary><c>EdgePortal:Limits:NewTenantQuotas</c>: a tenant's quotas unless set otherwise (null: no quota).</summary>
public sealed class TenantQuotaDefaults
{
    public int? MaxConcurrentMigrations { get; set; } = 10;

    public double? MaxReservedBandwidthBitsPerSecond { get; set; }
}

/// <summary>Refuses a start with limits that make no sense, naming the key.</summary>
public sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MinCronInterval < TimeSpan.FromSeconds(1) || options.MinCronInterval > TimeSpan.FromDays(1))
            failures.Add($"{LimitsOptions.Section}:MinCronInterval must lie between 00:00:01 and 1.00:00:00 (was {options.MinCronInterval}).");
        if (options.MaxSchedulesPerTenant is < 1 or > 100_000)
            failures.Add($"{LimitsOptions.Section}:MaxSchedulesPerTenant must lie in 1..100000 (was {options.MaxSchedulesPerTenant}).");
        if (options.NewTenantQuotas.MaxConcurrentMigrations is < 1 or > 100_000)
            failures.Add($"{LimitsOptions.Section}:NewTenantQuotas:MaxConcurrentMigrations must lie in 1..100000, or be empty for none.");
        if (options.NewTenantQuotas.MaxReservedBandwidthBitsPerSecond is { } bw && (!double.IsFinite(bw) || bw <= 0))
            failures.Add($"{LimitsOptions.Section}:NewTenantQuotas:MaxReservedBandwidthBitsPerSecond must be a positive number, or empty for none.");
        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

public static class LimitsHosting
{
    public static IServiceCollection AddEdgePortalLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LimitsOptions>().Bind(configuration.GetSection(LimitsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>();
        return services;
    }
}
