using Microsoft.Extensions.Options;

namespace EdgePortal.Storage;

/// <summary>Where the portal keeps its data.</summary>
public enum StorageProvider
{
    /// <summary>One LiteDB file: zero setup, one replica.</summary>
    LiteDb,
    /// <summary>A PostgreSQL database shared by any number of replicas.</summary>
    PostgreSql,
}

/// <summary>
/// Bound to <c>EdgePortal:Storage</c> (environment: <c>EdgePortal__Storage__Provider</c>, <c>…__Path</c>,
/// <c>…__ConnectionString</c>). The key names are fixed: scripts and the deployment depend on them.
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "EdgePortal:Storage";

    /// <summary><c>LiteDb</c> (default) or <c>PostgreSql</c>.</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.LiteDb;

    /// <summary>The LiteDB file. Relative paths are resolved against the content root; default <c>data/edgeportal.db</c>.</summary>
    public string Path { get; set; } = System.IO.Path.Combine("data", "edgeportal.db");

    /// <summary>The Npgsql connection string when <see cref="Provider"/> is PostgreSql.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>LiteDB's upkeep: log checkpoints and compaction (<c>EdgePortal:Storage:LiteDb</c>).</summary>
    public LiteDbUpkeepOptions LiteDb { get; set; } = new();

    /// <summary>The options as configured, read before the container exists (to choose what to register).</summary>
    public static StorageOptions Read(Microsoft.Extensions.Configuration.IConfiguration configuration)
        => Microsoft.Extensions.Configuration.ConfigurationBinder.Get<StorageOptions>(configuration.GetSection(Section)) ?? new StorageOptions();
}

/// <summary>How LiteDB's write-ahead log and free pages are kept in bounds.</summary>
public sealed class LiteDbUpkeepOptions
{
    /// <summary>A log larger than this is checkpointed into the file at once (default 32 MiB).</summary>
    public long CheckpointBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>A log that is not empty is checkpointed at least this often (default one minute).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>When the file is compacted (a Quartz cron expression, UTC; empty: never). Default Sundays at 03:30.</summary>
    public string Compaction { get; set; } = "0 30 3 ? * SUN";
}

/// <summary>Refuses a configuration that cannot work, naming the key to change.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Provider))
            failures.Add($"{StorageOptions.Section}:Provider must be LiteDb or PostgreSql.");
        if (options.Provider == StorageProvider.LiteDb && string.IsNullOrWhiteSpace(options.Path))
            failures.Add($"{StorageOptions.Section}:Path must name a file.");
        if (options.Provider == StorageProvider.PostgreSql && string.IsNullOrWhiteSpace(options.ConnectionString))
            failures.Add($"{StorageOptions.Section}:ConnectionString is required when {StorageOptions.Section}:Provider is PostgreSql.");
        if (options.LiteDb.CheckpointBytes < 1024 * 1024)
            failures.Add($"{StorageOptions.Section}:LiteDb:CheckpointBytes must be at least 1048576 (1 MiB).");
        if (options.LiteDb.CheckpointInterval <= TimeSpan.Zero)
            failures.Add($"{StorageOptions.Section}:LiteDb:CheckpointInterval must be positive.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
