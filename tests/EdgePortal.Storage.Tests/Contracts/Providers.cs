using EdgePortal.Storage.Tests.Stores;

namespace EdgePortal.Storage.Tests.Contracts;

// The shared suite, once per provider: every contract against a real LiteDB file and a real PostgreSQL database.

public sealed class LiteDbInventoryRepositoryTests() : InventoryRepositoryContract(new LiteDbTestStore());
public sealed class LiteDbMigrationRepositoryTests() : MigrationRepositoryContract(new LiteDbTestStore());
public sealed class LiteDbMigrationVersionTests() : MigrationVersionContract(new LiteDbTestStore());
public sealed class LiteDbHistoryPagingTests() : HistoryPagingContract(new LiteDbTestStore());
public sealed class LiteDbMigrationLeaseTests() : MigrationLeaseContract(new LiteDbTestStore());
public sealed class LiteDbHistoryPruningTests() : HistoryPruningContract(new LiteDbTestStore());
public sealed class LiteDbConcurrencyTests() : ConcurrencyContract(new LiteDbTestStore());
public sealed class LiteDbCalibrationRepositoryTests() : CalibrationRepositoryContract(new LiteDbTestStore());
public sealed class LiteDbTopologyCacheTests() : TopologyCacheContract(new LiteDbTestStore());
public sealed class LiteDbSchedulingRepositoryTests() : SchedulingRepositoryContract(new LiteDbTestStore());
public sealed class LiteDbSecurityRepositoryTests() : SecurityRepositoryContract(new LiteDbTestStore());

[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlInventoryRepositoryTests(PostgreSqlFixture fixture) : InventoryRepositoryContract(new PostgreSqlTestStore(fixture));
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlMigrationRepositoryTests(PostgreSqlFixture fixture) : MigrationRepositoryContract(new PostgreSqlTestStore(fixture));
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlMigrationVersionTests(PostgreSqlFixture fixture) : MigrationVersionContract(new PostgreSqlTestStore(fixture));
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlHistoryPagingTests(PostgreSqlFixture fixture) : HistoryPagingContract(new PostgreSqlTestStore(fixture));
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlMigrationLeaseTests(PostgreSqlFixture fixture) : MigrationLeaseContract(new PostgreSqlTestStore(fixture));
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlHistoryPruningTests(PostgreSqlFixture fixture) : HistoryPruningContract(new PostgreSqlTestStore(fixture));
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlConcurrencyTests(PostgreSqlFixture fixture) : ConcurrencyContract(new PostgreSqlTestStore(fixture));
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlCalibrationRepositoryTests(PostgreSqlFixture fixture) : CalibrationRepositoryContract(new PostgreSqlTestStore(fixture));
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlTopologyCacheTests(PostgreSqlFixture fixture) : TopologyCacheContract(new PostgreSqlTestStore(fixture));
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlSchedulingRepositoryTests(PostgreSqlFixture fixture) : SchedulingRepositoryContract(new PostgreSqlTestStore(fixture));
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlSecurityRepositoryTests(PostgreSqlFixture fixture) : SecurityRepositoryContract(new PostgreSqlTestStore(fixture));
