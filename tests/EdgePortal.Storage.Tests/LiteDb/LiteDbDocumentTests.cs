using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.LiteDb;

public sealed class LiteDbDocumentTests : StorageTestBase
{
    [Fact]
    public void Documents_OnDisk_UseTheDomainJsonShape()
    {
        var inventory = SampleInventory();
        Inventory.SaveAll(inventory);
        var service = inventory.Services[0];

        var document = Database.Database.GetCollection("services").FindById(service.Id.Value);

        Assert.Equal(service.Id.Value, document["_id"].AsGuid);
        Assert.Equal(service.TenantId.Value.ToString(), document["tenantId"].AsString);
        Assert.Equal("MinDowntime", document["objective"].AsString);
        Assert.Equal(service.Name, document["labels"]["app"].AsString);
        Assert.Equal(10 * MB, document["profile"]["stateSizeBytes"].AsInt64);
    }

    [Fact]
    public void Reopen_AfterDispose_IsAtTheCurrentSchema()
    {
        Inventory.SaveAll(SampleInventory());

        Reopen();

        Assert.Equal(EdgeDatabase.CurrentVersion, Database.Database.UserVersion);
    }
}
