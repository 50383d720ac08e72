using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace EdgePortal.Testing.Lab;

/// <summary>The probe client (workload c) running in the lab's client namespace; its lines are collected as they come.</summary>
public sealed class ProbeClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Task _reader;

    public ProbeClient(Process process)
    {
        _process = process;
        _reader = Task.Run(async () =>
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
                _lines.Enqueue(line);
        });
    }

    public IReadOnlyList<Answer> Answers => _lines.Where(l => l.StartsWith("ok ", StringComparison.Ordinal)).Select(Parse).ToList();

    public IReadOnlyList<string> Reconnects => _lines.Where(l => l.StartsWith("reconnect", StringComparison.Ordinal)).ToList();

    public string Tail => string.Join('\n', _lines.TakeLast(5));

    /// <summary>Waits (polling an external process, bounded) until the client has seen <paramref name="count"/> answers in all.</summary>
    public async Task WaitForAnswersAsync(int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Answers.Count < count)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The probe client exited ({_process.ExitCode}): {Tail} {await _process.StandardError.ReadToEndAsync()}");
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"The probe client saw {Answers.Count} answers, not {count}, within {timeout.TotalSeconds} s. Last lines:\n{Tail}");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Stops the client and checks what it saw across a migration: no reconnect, every request counter consecutive (no state
    /// lost, no request answered twice), every checksum the model's for a service of <paramref name="stateBytes"/>, and a
    /// full recomputation ('V') after the longest gap. Returns the answers and the longest gap (µs): the downtime.
    /// </summary>
    /// <param name="reconnects">How many reconnects the case allows (the state must still be whole: counters and checksums).</param>
    public async Task<(IReadOnlyList<Answer> Answers, long LongestGapUs)> StopAndVerifyAsync(long stateBytes, int reconnects = 0)
    {
        await StopAsync();
        var answers = Answers;
        Assert.Equal(reconnects, Reconnects.Count);
        for (var i = 1; i < answers.Count; i++)
            Assert.True(answers[i].Counter == answers[i - 1].Counter + 1,
                $"The request counter jumped from {answers[i - 1].Counter} to {answers[i].Counter}: state lost or a request answered twice.");
        var model = new StateModel(stateBytes);
        foreach (var a in answers)
        {
            model.AdvanceTo(a.Steps);
            Assert.True(model.Checksum == a.Checksum,
                $"Answer {a.Counter} ({a.Kind}, after {a.Steps} dirty steps) carries checksum {a.Checksum}, the model says {model.Checksum}.");
        }
        var longest = answers.Zip(answers.Skip(1), (x, y) => (Gap: y.TimeUs - x.TimeUs, After: y)).MaxBy(g => g.Gap);
        Assert.Contains(answers.Where(a => a.Counter >= longest.After.Counter), a => a.Kind == 'V');
        return (answers, longest.Gap);
    }

    /// <summary>SIGTERM: the client prints its summary line and exits.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
            await Lab.RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _process.WaitForExitAsync(timeout.Token);
        await _reader;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static Answer Parse(string line)
    {
        var f = line.Split(' ');
        return new Answer(long.Parse(f[1], CultureInfo.InvariantCulture), ulong.Parse(f[2], CultureInfo.InvariantCulture),
            ulong.Parse(f[3], CultureInfo.InvariantCulture), ulong.Parse(f[4], CultureInfo.InvariantCulture), f[5][0]);
    }
}
