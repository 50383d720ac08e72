using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace EdgePortal.Testing.Lab;

/// <summary>The C workloads of issue 9 (Workload/*.c), compiled with gcc into a temp folder by the test that uses them.</summary>
public static class Workloads
{
    public static async Task<(string Service, string Client)> BuildAsync(string folder)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Criu", "Workload");
        var service = Path.Combine(folder, "stateservice");
        var client = Path.Combine(folder, "probeclient");
        await Lab.RunAsync("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", service, Path.Combine(source, "stateservice.c")]);
        await Lab.RunAsync("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", client, Path.Combine(source, "probeclient.c")]);
        return (service, client);
    }

    /// <summary>The state service linked statically into <paramref name="folder"/> (a container rootfs without a libc).</summary>
    /// <param name="messageService">The message service too (msgservice, librabbitmq and OpenSSL linked in).</param>
    public static async Task BuildStaticAsync(string folder, bool messageService = false)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Criu", "Workload");
        await Lab.RunAsync("gcc", ["-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o", Path.Combine(folder, "stateservice"), Path.Combine(source, "stateservice.c")]);
        if (messageService)
            await Lab.RunAsync("gcc", ["-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o", Path.Combine(folder, "msgservice"), Path.Combine(source, "msgservice.c"),
                "-lrabbitmq", "-lssl", "-lcrypto", "-lpthread", "-ldl"]);
    }

    /// <summary>Starts a command in a lab namespace (nsenter --net, never ip netns exec) with its output captured.</summary>
    public static Process StartIn(string networkNamespace, string file, params string[] arguments)
    {
        var info = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[$"--net={networkNamespace}", "--", file, .. arguments])
            info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException($"nsenter {file} did not start.");
    }
}
