using System.Diagnostics;
using EdgePortal.Agent.Contracts;

namespace EdgePortal.Agent.Addresses;

/// <summary>
/// The service addresses that move with a process: added (guarded, so that TCP to them is dropped until a restore here
/// succeeds or the address leaves, and announced when asked), removed, and announced by unsolicited ARP, on the host's
/// service device.
/// </summary>
public sealed class ServiceAddresses(HostNetwork host)
{
    /// <summary>Does <paramref name="action"/> with <paramref name="call"/>'s address (already validated as IPv4 CIDR).</summary>
    /// <exception cref="HostCommandException">nft, ip or arping failed; its own words.</exception>
    public async Task<AddressAnswer> ApplyAsync(AddressAction action, AddressCall call, CancellationToken cancellationToken)
    {
        var device = string.IsNullOrWhiteSpace(call.Device) ? host.ServiceDevice : call.Device;
        var ip = call.Address.Split('/')[0];
        var clock = Stopwatch.StartNew();
        var done = new List<string>();
        if (action == AddressAction.Add)
        {
            if (call.Guard)
            {
                await host.GuardAsync(ip, cancellationToken).ConfigureAwait(false);
                done.Add($"TCP to {ip} dropped until a restore here succeeds or the address leaves");
            }
            var add = await host.RunAsync(["ip", "addr", "replace", call.Address, "dev", device], cancellationToken).ConfigureAwait(false);
            if (add.ExitCode != 0)
                throw new HostCommandException("ip addr failed", $"ip addr replace {call.Address} dev {device}: {add.Output.Trim()}");
            done.Add($"added {call.Address} on {device}");
        }
        else if (action == AddressAction.Remove)
        {
            var del = await host.RunAsync(["ip", "addr", "del", call.Address, "dev", device], cancellationToken).ConfigureAwait(false);
            // Removing an address that is not there is what a retried or rolled-back step asks: done already. iproute2 says so
            // in two ways (older: "Cannot assign requested address"; Debian 12's: "ipv4: Address not found", which the chaos
            // lab met rolling back a dump the portal had not seen finish).
            if (del.ExitCode != 0 && !del.Output.Contains("Cannot assign requested address", StringComparison.Ordinal)
                && !del.Output.Contains("Address not found", StringComparison.Ordinal))
                throw new HostCommandException("ip addr failed", $"ip addr del {call.Address} dev {device}: {del.Output.Trim()}");
            done.Add(del.ExitCode == 0 ? $"removed {call.Address} from {device}" : $"{call.Address} was not on {device}");
            await host.UnguardAsync(ip, cancellationToken).ConfigureAwait(false);
        }
        if (action == AddressAction.Announce || (action == AddressAction.Add && call.Announce))
        {
            // Unsolicited ARP: neighbours that cached the address at the old host's MAC update at once instead of after their
            // ARP timeout. arping sends the first at once, then waits a whole second (its -i takes whole seconds) before the
            // second, sent in case the first is lost: the answer comes after the first, arping finishes on its own.
            var error = await AnnounceAsync(device, ip).ConfigureAwait(false);
            if (error is not null)
                throw new HostCommandException("arping failed", error);
            done.Add($"announced {ip} on {device} (unsolicited ARP)");
        }
        return new AddressAnswer(call.Address, device, string.Join("; ", done), clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Starts <c>arping -U -c 2</c> in the host; null once it runs (or ran) well, else arping's own words.</summary>
    private async Task<string?> AnnounceAsync(string device, string ip)
    {
        string[] arping = ["arping", "-U", "-c", "2", "-I", device, ip];
        var info = new ProcessStartInfo(host.Namespace is null ? arping[0] : "nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in host.Namespace is { } ns ? [$"--net={ns}", "--", .. arping] : arping[1..])
            info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("arping did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"arping could not start: {e.Message} (Debian package iputils-arping)";
        }
        // arping prints its "ARPING ip from …" line once its socket is bound, right before it sends the first announcement:
        // that line (or 50 ms without an exit, should its output be buffered) says it runs, so the caller does not wait
        // for a fixed 50 ms in the switch (issue 18 item 5). What it cannot do makes it exit at once, before that line.
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = ReadLinesAsync(process.StandardOutput, first);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var exited = process.WaitForExitAsync(CancellationToken.None);
        _ = exited.ContinueWith(_ => process.Dispose(), TaskScheduler.Default);
        await Task.WhenAny(exited, first.Task, Task.Delay(50)).ConfigureAwait(false);
        if (!exited.IsCompleted || process.ExitCode == 0)
            return null;
        var text = (await output.ConfigureAwait(false) + await errors.ConfigureAwait(false)).Trim();
        // In unsolicited mode arping exits 1 when nothing answered, which is expected; anything it could not send is not.
        return process.ExitCode == 1 && text.Contains("Sent", StringComparison.Ordinal) ? null
            : $"arping -U -I {device} {ip} ({process.ExitCode}): {text} (Debian package iputils-arping)";
    }

    /// <summary>All of <paramref name="reader"/>'s text; <paramref name="first"/> completes at its first line (or its end).</summary>
    private static async Task<string> ReadLinesAsync(StreamReader reader, TaskCompletionSource first)
    {
        var text = new System.Text.StringBuilder();
        while (await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
        {
            text.AppendLine(line);
            first.TrySetResult();
        }
        first.TrySetResult();
        return text.ToString();
    }
}
