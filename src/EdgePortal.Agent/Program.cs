using EdgePortal.Agent;

var builder = WebApplication.CreateBuilder(args);
builder.AddEdgePortalAgent();
var app = builder.Build();
app.MapEdgePortalAgent();
app.Run();

/// <summary>The agent's entry point, visible to the tests' host factory.</summary>
public partial class Program;
