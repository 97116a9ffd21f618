using IceGate.Catalog;
using IceGate.Ingest.Shift;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Server;

/// <summary>
/// Runs a shift worker and a maintainer per signal table once the catalog has the tables. Every
/// process may run them; they coordinate through the store alone.
/// </summary>
internal sealed class TableWorkers(StoreComposition store, IcebergCatalog catalog, IceGateOptions options, ILogger<TableWorkers> logger) : BackgroundService
{
    /// <summary>The shift workers, one per table (none if shifting is disabled here).</summary>
    public IReadOnlyList<ShiftWorker> Shift { get; } = options.Shift.Enabled
        ? TableSchemas.All.Select(t => new ShiftWorker(store.Store, catalog, options.Catalog.Namespace, t.Name, options.Shift, options.Index, logger)).ToList()
        : [];

    /// <summary>The maintainers, one per table (none if maintenance is disabled here).</summary>
    public IReadOnlyList<TableMaintainer> Maintenance { get; } = options.Maintenance.Enabled
        ? TableSchemas.All.Select(t => new TableMaintainer(store.Store, catalog, options.Catalog.Namespace, t.Name, options.Maintenance, options.Shift, options.Index, logger)).ToList()
        : [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Shift.Count + Maintenance.Count == 0)
        {
            return;
        }

        // The catalog bootstrap creates the tables; until then there is nothing to shift into.
        while (!stoppingToken.IsCancellationRequested && !await TablesExistAsync(stoppingToken).ConfigureAwait(false))
        {
            await Task.Delay(options.Shift.PollInterval, stoppingToken).ConfigureAwait(false);
        }

        await Task.WhenAll(Shift.Select(w => w.RunAsync(stoppingToken)).Concat(Maintenance.Select(m => m.RunAsync(stoppingToken)))).ConfigureAwait(false);
    }

    private async Task<bool> TablesExistAsync(CancellationToken cancellationToken)
    {
        try
        {
            var tables = await catalog.ListTablesAsync(options.Catalog.Namespace, cancellationToken).ConfigureAwait(false);
            return TableSchemas.All.All(t => tables.Contains(t.Name));
        }
        catch (Exception e) when (e is CatalogException or Lakehouse.Storage.ObjectStoreException)
        {
            return false;
        }
    }
}
