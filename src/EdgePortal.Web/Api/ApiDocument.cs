using EdgePortal.Core.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace EdgePortal.Web.Api;

/// <summary>
/// <c>/openapi/v1.json</c>: every endpoint with its bodies, statuses and problem types (from the typed results), written as
/// OpenAPI 3.0 so that client generators (NSwag, Kiota, openapi-typescript) read it. The transformers say what the schema
/// generator cannot see: ids are GUID strings (they have their own JSON converter), numbers are numbers (the domain's JSON
/// allows "NaN" and "Infinity", which the API never sends), API keys go as a bearer token, and an authorized endpoint can
/// answer 401 and 403 and one with a query or body 400.
/// </summary>
public static class ApiDocument
{
    public const string Name = "v1";

    public const string BearerScheme = "Bearer";

    public static IServiceCollection AddEdgePortalOpenApi(this IServiceCollection services)
        => services.AddOpenApi(Name, o =>
        {
            o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_0;
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "EdgePortal API",
                    Version = "v1",
                    Description = "Plan, run and watch live migrations of stateful services across edge clusters. Authenticate with an API key as a bearer token.",
                };
                // The document is the same wherever it is read from (a client is generated from a committed copy of it).
                document.Servers = [];
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key (POST /api/v1/keys, or EdgePortal:Security:BootstrapApiKey).",
                };
                return Task.CompletedTask;
            });
            o.AddSchemaTransformer((schema, context, _) =>
            {
                Simplify(schema, context.JsonTypeInfo.Type);
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                Describe(operation, context.Description.ActionDescriptor.EndpointMetadata, context.Document);
                return Task.CompletedTask;
            });
        });

    private static void Simplify(OpenApiSchema schema, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        var nullable = underlying is not null;
        var value = underlying ?? type;
        if (value.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEntityId<>)))
        {
            schema.Type = JsonSchemaType.String | (nullable ? JsonSchemaType.Null : 0);
            schema.Format = "uuid";
        }
        else if (value.IsEnum)
        {
            // Enums travel by name (DomainJson's string enum converter).
            schema.Type = JsonSchemaType.String | (nullable ? JsonSchemaType.Null : 0);
        }
        else if (value == typeof(double) || value == typeof(float))
        {
            schema.Type = JsonSchemaType.Number | (nullable ? JsonSchemaType.Null : 0);
            schema.Format = value == typeof(double) ? "double" : "float";
            schema.AnyOf = null;
            schema.Pattern = null;
        }
    }

    private static void Describe(OpenApiOperation operation, IList<object> metadata, OpenApiDocument? document)
    {
        operation.Responses ??= [];
        var authorized = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        if (authorized)
        {
            Problem(operation, document, StatusCodes.Status401Unauthorized, "No API key, or one that is unknown, expired or revoked.");
            Problem(operation, document, StatusCodes.Status403Forbidden, "The key's role may not do this.");
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
        }
        var takesInput = operation.RequestBody is not null || operation.Parameters?.Any(p => p.In == ParameterLocation.Query) == true;
        if (takesInput)
            Problem(operation, document, StatusCodes.Status400BadRequest, "A field is missing, of the wrong type or out of range; errors name each field.");
    }

    private static void Problem(OpenApiOperation operation, OpenApiDocument? document, int status, string description)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key))
            return;
        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemResult.ProblemContentType] = new() { Schema = new OpenApiSchemaReference(nameof(ProblemDetails), document) },
            },
        };
    }
}
