using IceGate.Catalog;
using IceGate.Ingest.Shift;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Server;

/// <summary>
/// Runs a shift worker per signal table once the catalog has the tables. Every process may run
/// one; they coordinate through the store alone.
/// </summary>
internal sealed partial class ShiftService(StoreComposition store, IcebergCatalog catalog, IceGateOptions options, ILogger<ShiftWorker> logger) : BackgroundService
{
    /// <summary>The workers, one per table (none if shifting is disabled here).</summary>
    public IReadOnlyList<ShiftWorker> Workers { get; } = options.Shift.Enabled
        ? TableSchemas.All.Select(t => new ShiftWorker(store.Store, catalog, options.Catalog.Namespace, t.Name, options.Shift, logger)).ToList()
        : [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Workers.Count == 0)
        {
            return;
        }

        // The catalog bootstrap creates the tables; until then there is nothing to shift into.
        while (!stoppingToken.IsCancellationRequested && !await TablesExistAsync(stoppingToken).ConfigureAwait(false))
        {
            await Task.Delay(options.Shift.PollInterval, stoppingToken).ConfigureAwait(false);
        }

        await Task.WhenAll(Workers.Select(w => w.RunAsync(stoppingToken))).ConfigureAwait(false);
    }

    private async Task<bool> TablesExistAsync(CancellationToken cancellationToken)
    {
        try
        {
            var tables = await catalog.ListTablesAsync(options.Catalog.Namespace, cancellationToken).ConfigureAwait(false);
            return Workers.All(w => tables.Contains(w.Table));
        }
        catch (Exception e) when (e is CatalogException or Lakehouse.Storage.ObjectStoreException)
        {
            return false;
        }
    }
}
