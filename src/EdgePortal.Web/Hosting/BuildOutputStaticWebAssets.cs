namespace EdgePortal.Web.Hosting;

/// <summary>
/// The static web assets (blazor.web.js, MudBlazor's CSS and JS, the scoped CSS, the top-level wwwroot) of a build
/// output are not in the output folder: the build writes a manifest beside the dll,
/// <c>EdgePortal.Web.staticwebassets.runtime.json</c>, that points at where they are (the projects, the NuGet cache,
/// obj/). ASP.NET Core reads it only in Development; in any other environment <c>MapStaticAssets</c> answered every
/// asset with 200 and an empty body, so <c>dotnet bin/…/EdgePortal.Web.dll</c> in Production showed an unstyled page
/// that never became interactive.
/// </summary>
/// <remarks>
/// Read the manifest in every environment when it is there, rather than refuse to start: it is there only in a build
/// output, which runs on the machine that built it, where every path it names exists; <c>dotnet publish</c> copies the
/// assets into wwwroot/ and writes no such manifest, so a published portal (the container) serves its own files as
/// before and this does nothing.
/// </remarks>
public static class BuildOutputStaticWebAssets
{
    public static WebApplicationBuilder UseBuildOutputStaticWebAssets(this WebApplicationBuilder builder)
    {
        // WebApplication.CreateBuilder has already done it for Development.
        if (builder.Environment.IsDevelopment())
            return builder;
        if (File.Exists(ManifestPath(builder.Environment.ApplicationName)))
            builder.WebHost.UseStaticWebAssets();
        return builder;
    }

    public static string ManifestPath(string applicationName)
        => Path.Combine(AppContext.BaseDirectory, $"{applicationName}.staticwebassets.runtime.json");
}
