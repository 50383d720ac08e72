using k8s;
using k8s.ClientSets;

namespace EdgePortal.Runtime.Kubernetes.Tests.Deployment;

/// <summary>
/// Never run: calls deploy/ grants to nobody (reading a Secret, listing ConfigMaps), compiled into this test assembly so
/// <see cref="KustomizeTests"/> proves that the metadata scan finds a new call and that the grants comparison then fails.
/// </summary>
internal static class UngrantedCalls
{
    public static async Task ReadSecretAndListConfigMapsAsync(k8s.Kubernetes client, CancellationToken ct)
    {
        await client.CoreV1.ReadNamespacedSecretAsync("token", "edge-apps", cancellationToken: ct).ConfigureAwait(false);
        await new ClientSet(client).CoreV1.ConfigMap.ListAsync("edge-apps", cancellationToken: ct).ConfigureAwait(false);
    }
}
