using IceGate.Catalog;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Server;

/// <summary>
/// Makes sure the signal tables (logs, spans, metrics) exist in the configured namespace, retrying
/// with backoff until the store answers. Several processes may race to create them; the catalog's
/// compare-and-swap lets one win and the others see the tables exist.
/// </summary>
internal sealed partial class CatalogBootstrap(IcebergCatalog catalog, IceGateOptions options, ILogger<CatalogBootstrap> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var delay = TimeSpan.FromMilliseconds(200); !stoppingToken.IsCancellationRequested; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks)))
        {
            try
            {
                await EnsureAsync(stoppingToken).ConfigureAwait(false);
                LogReady(logger, options.Catalog.Namespace);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRetrying(logger, delay.TotalSeconds, e);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task EnsureAsync(CancellationToken cancellationToken)
    {
        var ns = options.Catalog.Namespace;
        if (!(await catalog.ListNamespacesAsync(cancellationToken).ConfigureAwait(false)).Contains(ns))
        {
            await IgnoreAlreadyExists(catalog.CreateNamespaceAsync(ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        var existing = await catalog.ListTablesAsync(ns, cancellationToken).ConfigureAwait(false);
        foreach (var table in TableSchemas.All.Where(t => !existing.Contains(t.Name)))
        {
            await IgnoreAlreadyExists(catalog.CreateTableAsync(ns, table, cancellationToken)).ConfigureAwait(false);
        }
    }

    private static async Task IgnoreAlreadyExists(Task create)
    {
        try
        {
            await create.ConfigureAwait(false);
        }
        catch (CatalogException e) when (e.Kind == CatalogErrorKind.AlreadyExists)
        {
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Catalog ready: namespace {Namespace} has the logs, spans and metrics tables")]
    private static partial void LogReady(ILogger logger, string @namespace);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Could not prepare the catalog; retrying in {Seconds} s")]
    private static partial void LogRetrying(ILogger logger, double seconds, Exception exception);
}
