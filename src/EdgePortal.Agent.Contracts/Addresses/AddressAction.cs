namespace EdgePortal.Agent.Contracts;

/// <summary>What POST /net/addresses/{action} does with a service address; the route segment is the name in lower case.</summary>
public enum AddressAction
{
    /// <summary>Put the address on the host's device (guarded and announced when asked).</summary>
    Add,

    /// <summary>Take the address off; an address that is not there is done already.</summary>
    Remove,

    /// <summary>Send unsolicited ARP for the address, so that neighbours' caches point at this host at once.</summary>
    Announce,
}
