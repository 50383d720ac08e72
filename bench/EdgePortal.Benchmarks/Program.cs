using BenchmarkDotNet.Running;

namespace EdgePortal.Benchmarks;

/// <summary>Runs the planning benchmarks; see bench/run.sh for the command the README quotes.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
