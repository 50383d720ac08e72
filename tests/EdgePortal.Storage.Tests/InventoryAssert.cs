using EdgePortal.Core.Domain;

namespace EdgePortal.Storage.Tests;

/// <summary>Field-by-field equality for the domain records whose collections compare by reference.</summary>
internal static class InventoryAssert
{
    public static void Same(Tenant expected, Tenant? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal((expected.Id, expected.Name, expected.DefaultObjective), (actual.Id, actual.Name, actual.DefaultObjective));
        Assert.Equal(expected.AllowedClusters, actual.AllowedClusters);
    }

    public static void Same(ServiceInstance expected, ServiceInstance? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal((expected.Id, expected.TenantId, expected.Name, expected.NodeId, expected.Objective, expected.Image),
            (actual.Id, actual.TenantId, actual.Name, actual.NodeId, actual.Objective, actual.Image));
        Assert.Equal(expected.Profile, actual.Profile);
        Assert.Equal(expected.Targets, actual.Targets);
        Assert.Equal(expected.Labels.OrderBy(l => l.Key), actual.Labels.OrderBy(l => l.Key));
    }

    public static void Same(EdgeInventory expected, IInventoryRepository actual)
    {
        var tenants = actual.Tenants();
        Assert.Equal(expected.Tenants.Count, tenants.Count);
        foreach (var tenant in expected.Tenants)
            Same(tenant, tenants.SingleOrDefault(t => t.Id == tenant.Id));
        Assert.Equal(expected.Clusters.OrderBy(c => c.Name), actual.Clusters());
        Assert.Equal(expected.Nodes.OrderBy(n => n.Name), actual.Nodes());
        Assert.Equal(expected.Links.OrderBy(l => l.Id.Value), actual.Links().OrderBy(l => l.Id.Value));
        Assert.Equal(expected.UserGroups.OrderBy(g => g.Id.Value), actual.UserGroups().OrderBy(g => g.Id.Value));
        var services = actual.Services();
        Assert.Equal(expected.Services.Count, services.Count);
        foreach (var service in expected.Services)
            Same(service, services.SingleOrDefault(s => s.Id == service.Id));
    }
}
