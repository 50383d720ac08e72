using EdgePortal.Core.Security;
using LiteDB;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Storage;

/// <summary>Accounts and API keys: new collections without changing any existing document, so no upgrade step.</summary>
internal static class SecurityCollections
{
    public const string Users = "users";
    public const string ApiKeys = "apiKeys";

    public static void EnsureIndexes(ILiteDatabase database)
    {
        var users = database.GetCollection(Users);
        users.EnsureIndex("userNameKey", "LOWER($.userName)", unique: true);
        users.EnsureIndex("tenantId", "$.tenantId");
        var keys = database.GetCollection(ApiKeys);
        keys.EnsureIndex("hash", "$.hash", unique: true);
        keys.EnsureIndex("tenantId", "$.tenantId");
    }

    public static IServiceCollection AddSecurityRepositories(this IServiceCollection services)
    {
        services.AddSingleton<IUserRepository, LiteDbUserRepository>();
        services.AddSingleton<IApiKeyRepository, LiteDbApiKeyRepository>();
        return services;
    }
}

internal sealed class LiteDbUserRepository(EdgeDatabase database) : IUserRepository
{
    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(SecurityCollections.Users);

    public IReadOnlyList<PortalUser> List(Guid? tenant = null)
        => (tenant is { } t ? Collection.Find(Query.EQ("$.tenantId", t.ToString())) : Collection.FindAll())
            .Select(BsonJson.FromDocument<PortalUser>).OrderBy(u => u.UserName, StringComparer.OrdinalIgnoreCase).ToList();

    public PortalUser? Find(Guid id) => Collection.FindById(id) is { } d ? BsonJson.FromDocument<PortalUser>(d) : null;

    public PortalUser? FindByName(string userName)
        => Collection.FindOne(Query.EQ("LOWER($.userName)", userName.ToLowerInvariant())) is { } d ? BsonJson.FromDocument<PortalUser>(d) : null;

    public void Save(PortalUser user) => Collection.Upsert(BsonJson.ToDocument(user, user.Id));

    public bool Delete(Guid id) => Collection.Delete(id);

    public int Count() => Collection.Count();
}

internal sealed class LiteDbApiKeyRepository(EdgeDatabase database) : IApiKeyRepository
{
    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(SecurityCollections.ApiKeys);

    public IReadOnlyList<ApiKey> List(Guid? tenant = null)
        => (tenant is { } t ? Collection.Find(Query.EQ("$.tenantId", t.ToString())) : Collection.FindAll())
            .Select(BsonJson.FromDocument<ApiKey>).OrderByDescending(k => k.CreatedAt).ToList();

    public ApiKey? Find(Guid id) => Collection.FindById(id) is { } d ? BsonJson.FromDocument<ApiKey>(d) : null;

    public ApiKey? FindByHash(string hash) => Collection.FindOne(Query.EQ("$.hash", hash)) is { } d ? BsonJson.FromDocument<ApiKey>(d) : null;

    public void Save(ApiKey key) => Collection.Upsert(BsonJson.ToDocument(key, key.Id));
}
