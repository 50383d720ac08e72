using System.Text.Json;
using EdgePortal.Core.Domain;

namespace EdgePortal.Web.Tests.Fakes;

/// <summary>
/// Stores and returns copies (a JSON round trip in the domain's shape), as the LiteDB repository does, over an
/// <see cref="IMigrationRepository"/> that keeps references. A test can then go on changing its own aggregate
/// without the page seeing the change before the test saves it and publishes the events.
/// </summary>
internal sealed class CopyingMigrationRepository(IMigrationRepository inner) : IMigrationRepository
{
    public void Save(Migration migration) => inner.Save(Copy(migration));

    public Migration? Find(MigrationId id) => inner.Find(id) is { } m ? Copy(m) : null;

    public IReadOnlyList<Migration> List(MigrationQuery query) => [.. inner.List(query).Select(Copy)];

    public IReadOnlyList<Migration> Unfinished() => [.. inner.Unfinished().Select(Copy)];

    private static Migration Copy(Migration migration)
        => JsonSerializer.Deserialize<Migration>(JsonSerializer.Serialize(migration, DomainJson.Options), DomainJson.Options)
           ?? throw new InvalidOperationException("A migration did not survive the JSON round trip.");
}
