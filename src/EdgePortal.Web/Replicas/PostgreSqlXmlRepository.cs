using System.Xml.Linq;
using EdgePortal.Storage.PostgreSql;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace EdgePortal.Web.Replicas;

/// <summary>
/// ASP.NET Core data-protection keys in PostgreSQL, shared by every replica: a cookie or antiforgery token one replica
/// issued is read by any other. Keys are only added (each under its own name); ASP.NET Core revokes by adding.
/// </summary>
public sealed class PostgreSqlXmlRepository(PostgreSqlDatabase database) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT xml FROM data_protection_keys ORDER BY created_at, friendly_name", connection);
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
            elements.Add(XElement.Parse(reader.GetString(0)));
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        using var connection = database.Open();
        using var command = new NpgsqlCommand("INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@name, @xml) ON CONFLICT (friendly_name) DO NOTHING", connection);
        command.Parameters.AddWithValue("name", string.IsNullOrWhiteSpace(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName);
        command.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
        command.ExecuteNonQuery();
    }
}
