namespace IceGate.Server;

internal static class HealthEndpoint
{
    /// <summary>
    /// <c>GET /health</c>: 200 when the object store answers (a HEAD of a key that need not exist),
    /// 503 when it does not, since without the store IceGate can neither acknowledge nor answer.
    /// </summary>
    public static void MapHealth(this WebApplication app, string version) =>
        app.MapGet("/health", async (StoreHealthCheck store, CancellationToken cancellationToken) =>
            await store.ProbeAsync(cancellationToken).ConfigureAwait(false) is null
                ? Results.Json(new HealthReport("ok", version, store.Description), HealthJson.Default.HealthReport)
                : Results.Json(new HealthReport("store unreachable", version, store.Description), HealthJson.Default.HealthReport, statusCode: StatusCodes.Status503ServiceUnavailable))
        .WithName("health")
        .WithSummary("Whether IceGate can reach its object store.")
        .Produces<HealthReport>(StatusCodes.Status200OK)
        .Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable);
}

/// <summary>The answer of <c>/health</c>.</summary>
/// <param name="Status"><c>ok</c>, or what is wrong.</param>
/// <param name="Version">The running build.</param>
/// <param name="Store">Where IceGate keeps its state.</param>
internal sealed record HealthReport(string Status, string Version, string Store);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthReport))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class HealthJson : System.Text.Json.Serialization.JsonSerializerContext;
