using EdgePortal.Web.Calibration;
using EdgePortal.Web.Hosting;

if (CalibrateCommand.IsInvoked(args))
    return await CalibrateCommand.RunAsync(args[1..], Console.Out);

var builder = WebApplication.CreateBuilder(args);
builder.AddEdgePortal();

var app = builder.Build();
app.UseEdgePortal();
app.Run();
return 0;

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
