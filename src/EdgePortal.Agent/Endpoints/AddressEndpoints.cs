using EdgePortal.Agent.Addresses;
using EdgePortal.Agent.Contracts;

namespace EdgePortal.Agent;

public static partial class AgentEndpoints
{
    private static async Task<IResult> AddressAsync(string action, AddressCall call, ServiceAddresses addresses, CancellationToken cancellationToken)
    {
        AddressAction? what = action switch
        {
            "add" => AddressAction.Add,
            "remove" => AddressAction.Remove,
            "announce" => AddressAction.Announce,
            _ => null,
        };
        if (what is null)
            return Results.NotFound();
        if (!System.Net.IPNetwork.TryParse(call.Address, out var network) || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["address"] = ["address is an IPv4 address with its prefix length, e.g. 10.231.0.100/24."] });
        try
        {
            return Results.Ok(await addresses.ApplyAsync(what.Value, call, cancellationToken).ConfigureAwait(false));
        }
        catch (HostCommandException e)
        {
            return Results.Problem(statusCode: 422, title: e.Title, detail: e.Message);
        }
    }
}
