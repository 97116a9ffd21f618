using System.Text.Json;
using IceGate.Lakehouse.Iceberg;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IceGate.Catalog;

/// <summary>What the REST catalog tells engines about reaching the files (the LoadTableResult <c>config</c>).</summary>
public sealed class RestCatalogOptions
{
    /// <summary>FileIO settings handed to engines, such as <c>s3.endpoint</c> and credentials.</summary>
    public IReadOnlyDictionary<string, string> FileIOConfig { get; set; } = new Dictionary<string, string>();
}

/// <summary>
/// The read side of the Iceberg REST catalog protocol, so that Trino, Spark, PyIceberg and DuckDB
/// can read IceGate's tables: <c>/v1/config</c>, namespaces, tables and LoadTable. Errors use the
/// protocol's <c>{"error":{"message","type","code"}}</c> shape.
/// </summary>
public static class RestCatalogEndpoints
{
    /// <summary>Maps the endpoints under <c>/v1</c>.</summary>
    public static void MapIcebergRestCatalog(this IEndpointRouteBuilder app, IcebergCatalog catalog, RestCatalogOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        // Authentication is the host's (API keys), as for every other endpoint.
        var v1 = app.MapGroup("/v1");

        v1.MapGet("/config", () => Json(w =>
        {
            w.WriteStartObject("defaults");
            w.WriteEndObject();
            w.WriteStartObject("overrides");
            w.WriteEndObject();
        })).WithName("icebergConfig").WithSummary("Iceberg REST catalog configuration.");

        v1.MapGet("/namespaces", async (CancellationToken cancellationToken) =>
        {
            var namespaces = await catalog.ListNamespacesAsync(cancellationToken).ConfigureAwait(false);
            return Json(w =>
            {
                w.WriteStartArray("namespaces");
                foreach (var ns in namespaces)
                {
                    w.WriteStartArray();
                    w.WriteStringValue(ns);
                    w.WriteEndArray();
                }

                w.WriteEndArray();
            });
        }).WithName("icebergListNamespaces").WithSummary("Lists the catalog's namespaces.");

        v1.MapMethods("/namespaces/{ns}", ["GET", "HEAD"], (string ns, CancellationToken cancellationToken) => Guarded(async () =>
        {
            var properties = await catalog.LoadNamespaceAsync(ns, cancellationToken).ConfigureAwait(false);
            return Json(w =>
            {
                WriteNamespace(w, ns);
                WriteStringMap(w, "properties", properties);
            });
        })).WithName("icebergLoadNamespace").WithSummary("Describes a namespace.");

        v1.MapGet("/namespaces/{ns}/tables", (string ns, CancellationToken cancellationToken) => Guarded(async () =>
        {
            var tables = await catalog.ListTablesAsync(ns, cancellationToken).ConfigureAwait(false);
            return Json(w =>
            {
                w.WriteStartArray("identifiers");
                foreach (var table in tables)
                {
                    w.WriteStartObject();
                    WriteNamespace(w, ns);
                    w.WriteString("name", table);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            });
        })).WithName("icebergListTables").WithSummary("Lists a namespace's tables.");

        v1.MapMethods("/namespaces/{ns}/tables/{table}", ["GET", "HEAD"], (string ns, string table, CancellationToken cancellationToken) => Guarded(async () =>
        {
            var loaded = await catalog.LoadTableAsync(ns, table, cancellationToken).ConfigureAwait(false);
            return Json(w =>
            {
                w.WriteString("metadata-location", loaded.MetadataLocation);
                w.WritePropertyName("metadata");
                loaded.Metadata.WriteJson(w);
                WriteStringMap(w, "config", options.FileIOConfig);
            });
        })).WithName("icebergLoadTable").WithSummary("Loads a table: its metadata location, metadata and file access configuration.");
    }

    private static async Task<IResult> Guarded(Func<Task<IResult>> handler)
    {
        try
        {
            return await handler().ConfigureAwait(false);
        }
        catch (CatalogException e) when (e.Kind is CatalogErrorKind.NamespaceNotFound or CatalogErrorKind.TableNotFound)
        {
            return Error(StatusCodes.Status404NotFound, e.Kind == CatalogErrorKind.NamespaceNotFound ? "NoSuchNamespaceException" : "NoSuchTableException", e.Message);
        }
    }

    private static void WriteNamespace(Utf8JsonWriter writer, string ns)
    {
        writer.WriteStartArray("namespace");
        writer.WriteStringValue(ns);
        writer.WriteEndArray();
    }

    private static void WriteStringMap(Utf8JsonWriter writer, string name, IReadOnlyDictionary<string, string> map)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in map)
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }

    private static IResult Error(int status, string type, string message) => Json(w =>
    {
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        w.WriteNumber("code", status);
        w.WriteEndObject();
    }, status);

    private static IResult Json(Action<Utf8JsonWriter> writeProperties, int status = StatusCodes.Status200OK) =>
        Results.Text(JsonText.WriteObject(writeProperties), "application/json", status);
}
