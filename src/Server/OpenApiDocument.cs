using Microsoft.AspNetCore.OpenApi;

namespace IceGate.Server;

/// <summary>
/// The service's OpenAPI document, served at <see cref="Route"/> and checked in as
/// <c>openapi/icegate.json</c> (a test keeps the two equal).
/// </summary>
internal static class OpenApiDocument
{
    public const string Name = "icegate";

    public const string Route = "/openapi/{documentName}.json";

    public static void Configure(OpenApiOptions options) =>
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "IceGate";
            document.Info.Version = "v1";
            document.Info.Description = "Observability data lake: OTLP and Loki ingest, SQL and LogQL queries over Apache Iceberg tables on object storage.";

            // The server list would name whichever host and port answered; the checked-in copy must not.
            document.Servers = [];
            return Task.CompletedTask;
        });
}
