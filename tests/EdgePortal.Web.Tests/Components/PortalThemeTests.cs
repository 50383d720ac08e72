using EdgePortal.Web.Components.Layout;
using MudBlazor;
using MudBlazor.Utilities;

namespace EdgePortal.Web.Tests.Components;

/// <summary>
/// WCAG 2.x contrast of the portal palette where MudBlazor puts its colours: a status colour as text on the surface
/// and on its own hover-opacity tint (text chips, text buttons), its contrast text on it (filled chips and buttons),
/// and secondary text on the surface. AA asks 4.5:1 for normal-size text.
/// </summary>
public sealed class PortalThemeTests
{
    private const double Aa = 4.5;

    [Theory]
    [InlineData("EdgePortal.Theme=dark", true)]
    [InlineData("EdgePortal.Theme=light", false)]
    [InlineData("EdgePortal.Theme=DARK; other=dark", false)]
    [InlineData("", false)]
    public void IsDark_ThemeCookie_DarkOnlyWhenItSaysDark(string cookieHeader, bool dark)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Headers.Cookie = cookieHeader;

        Assert.Equal(dark, PortalTheme.IsDark(context.Request));
    }

    public static TheoryData<string, string> Colours()
    {
        var data = new TheoryData<string, string>();
        foreach (var mode in new[] { "light", "dark" })
            foreach (var colour in new[] { "Primary", "Success", "Warning", "Info", "Error" })
                data.Add(mode, colour);
        return data;
    }

    [Theory]
    [MemberData(nameof(Colours))]
    public void Palette_StatusColourAsTextOnSurfaceAndOwnTint_MeetsAa(string mode, string colour)
    {
        var palette = Palette(mode);
        var fg = Colour(palette, colour);
        var surface = palette.Surface;
        var tint = Over(fg, surface, palette.HoverOpacity);

        Assert.True(Contrast(fg, surface) >= Aa, $"{mode} {colour} {fg} on surface {surface}: {Contrast(fg, surface):0.00}");
        Assert.True(Contrast(fg, tint) >= Aa, $"{mode} {colour} {fg} on its tint: {Contrast(fg, tint):0.00}");
    }

    [Theory]
    [MemberData(nameof(Colours))]
    public void Palette_ContrastTextOnStatusColour_MeetsAa(string mode, string colour)
    {
        var palette = Palette(mode);
        var background = Colour(palette, colour);
        var text = Over(Colour(palette, colour + "ContrastText"), background, 1);

        Assert.True(Contrast(text, background) >= Aa, $"{mode} {colour}ContrastText on {background}: {Contrast(text, background):0.00}");
    }

    [Theory]
    [InlineData("light")]
    [InlineData("dark")]
    public void Palette_SecondaryTextOnSurfaceAndBackground_MeetsAa(string mode)
    {
        var palette = Palette(mode);
        foreach (var ground in new[] { palette.Surface, palette.Background })
        {
            var text = Over(palette.TextSecondary, ground, 1);
            Assert.True(Contrast(text, ground) >= Aa, $"{mode} secondary text on {ground}: {Contrast(text, ground):0.00}");
        }
    }

    private static Palette Palette(string mode) => mode == "dark" ? PortalTheme.Theme.PaletteDark : PortalTheme.Theme.PaletteLight;

    private static MudColor Colour(Palette palette, string name) => (MudColor)typeof(Palette).GetProperty(name)!.GetValue(palette)!;

    /// <summary><paramref name="fg"/> with its own alpha times <paramref name="opacity"/>, composed over an opaque ground.</summary>
    private static MudColor Over(MudColor fg, MudColor ground, double opacity)
    {
        var a = fg.APercentage * opacity;
        byte Mix(byte f, byte g) => (byte)Math.Round(f * a + g * (1 - a));
        return new MudColor(Mix(fg.R, ground.R), Mix(fg.G, ground.G), Mix(fg.B, ground.B), (byte)255);
    }

    private static double Contrast(MudColor a, MudColor b)
    {
        var (la, lb) = (Luminance(a), Luminance(b));
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    private static double Luminance(MudColor c)
    {
        static double Channel(byte v)
        {
            var s = v / 255.0;
            return s <= 0.03928 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * Channel(c.R) + 0.7152 * Channel(c.G) + 0.0722 * Channel(c.B);
    }
}
