using System.Globalization;
using EdgePortal.BurstBench;

// bench/burst.sh: every scenario under independent and joint planning (CP-SAT, the greedy as its fallback; joint-greedy: the greedy alone), one line each.
var scenarios = new List<string> { "drain", "crowd", "nightly" };
var speed = 20.0;
var seed = 21;
var noise = 0.08;
var timeLimit = TimeSpan.FromSeconds(1);
var verbose = false;
var hold = true;
var planners = new[] { "independent", "joint" };
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--scenario": scenarios = [.. args[++i].Split(',')]; break;
        case "--speed": speed = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--noise": noise = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--verbose": verbose = true; break;
        case "--no-hold": hold = false; break;
        case "--planner":
            planners = args[++i] switch
            {
                "independent" => ["independent"],
                "joint" => ["joint"],
                "greedy" or "joint-greedy" => ["joint-greedy"],
                "all" => ["independent", "joint", "joint-greedy"],
                _ => ["independent", "joint"],
            };
            break;
        case "--time-limit-ms": timeLimit = TimeSpan.FromMilliseconds(double.Parse(args[++i], CultureInfo.InvariantCulture)); break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}; use --scenario drain,crowd,nightly --speed 20 --seed 21 --noise 0.08 --time-limit-ms 1000 --verbose --no-hold --planner independent|joint|greedy|both|all");
            return 2;
    }
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"simulated edge: 3 sites × {BurstEdge.NodesPerSite} nodes, 1 Gbit/s links; clock ×{speed}, simulator noise CV {noise}, seed {seed}, joint planning time limit {timeLimit.TotalMilliseconds} ms"));
foreach (var name in scenarios)
{
    foreach (var planner in planners)
    {
        var scenario = name switch
        {
            "drain" => Scenario.Drain(seed),
            "crowd" => Scenario.Crowd(seed),
            "nightly" => Scenario.Nightly(seed),
            _ => throw new ArgumentException($"unknown scenario {name}; use drain, crowd or nightly"),
        };
        var result = await Runner.RunAsync(scenario, planner, speed, seed, noise, timeLimit, verbose, hold);
        Console.WriteLine(result.Line());
    }
}
return 0;
