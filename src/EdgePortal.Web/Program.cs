using EdgePortal.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddEdgePortal();

var app = builder.Build();
app.UseEdgePortal();
app.Run();

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
