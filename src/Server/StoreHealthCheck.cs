using IceGate.Lakehouse.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace IceGate.Server;

/// <summary>
/// Whether the object store answers (a HEAD of a key that need not exist): without it IceGate can
/// neither acknowledge nor answer. <c>/health</c> and the gRPC health service both ask this.
/// </summary>
internal sealed class StoreHealthCheck(StoreComposition store, ILoggerFactory loggers) : IHealthCheck
{
    private readonly ILogger _logger = loggers.CreateLogger("IceGate.Health");

    public string Description => store.Description;

    /// <summary>Null if the store answered, else what failed.</summary>
    public async Task<ObjectStoreException?> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.Store.HeadAsync("health/probe", cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (ObjectStoreException e)
        {
            Log.StoreUnreachable(_logger, e);
            return e;
        }
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await ProbeAsync(cancellationToken).ConfigureAwait(false) is { } failure
            ? HealthCheckResult.Unhealthy($"store unreachable: {store.Description}", failure)
            : HealthCheckResult.Healthy(store.Description);
}
