using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace EdgePortal.Testing.Lab;

/// <summary>
/// The state service's memory as a pure function of its dirty steps (the same arithmetic as stateservice.c): what every
/// answer's checksum must be, before and after a migration.
/// </summary>
public sealed class StateModel
{
    private const int WordsPerPage = 512;
    private readonly ulong[] _words;
    private readonly ulong _pages;
    private ulong _steps;

    public StateModel(long bytes)
    {
        _pages = (ulong)(bytes / 8 / WordsPerPage);
        _words = new ulong[_pages * WordsPerPage];
        for (var i = 0; i < _words.Length; i++)
            Checksum += _words[i] = Mix((ulong)i);
    }

    public ulong Checksum { get; private set; }

    public void AdvanceTo(ulong steps)
    {
        if (steps < _steps)
            throw new InvalidOperationException($"The service's dirty steps went back from {_steps} to {steps}.");
        for (; _steps < steps; _steps++)
        {
            var index = (_steps % _pages) * WordsPerPage + (_steps / _pages) % WordsPerPage;
            var value = Mix(_steps + 0x1234567);
            Checksum += value - _words[index];
            _words[index] = value;
        }
    }

    private static ulong Mix(ulong x)
    {
        var z = x + 0x9E3779B97F4A7C15ul;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
        return z ^ (z >> 31);
    }
}
