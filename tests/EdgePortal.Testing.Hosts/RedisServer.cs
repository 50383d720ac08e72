using System.Diagnostics;
using System.Net.Sockets;

namespace EdgePortal.Testing.Hosts;

/// <summary>
/// A throwaway Redis server (Debian's <c>redis-server</c>, installed by ./test.sh) on a free port, without persistence,
/// as a child process killed by its PID at the end.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private RedisServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false";

    public static async Task<RedisServer> StartAsync()
    {
        const string binary = "/usr/bin/redis-server";
        if (!File.Exists(binary))
            throw new InvalidOperationException($"{binary} is missing: run ./test.sh as root once, or apt-get install redis-server.");
        var folder = Directory.CreateTempSubdirectory("edgeportal-redis-").FullName;
        var port = FreePort.Next();
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        foreach (var argument in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder })
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, folder, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Kill();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await server.AnswersAsync())
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"redis-server on port {port} did not come up (exit: {(process.HasExited ? process.ExitCode : "still running")}).");
            }
            await Task.Delay(20);
        }
        return server;
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Kill() => Commands.Kill(_process);

    public ValueTask DisposeAsync() => Commands.StopAsync(_process, _folder);
}
