using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Index;
using IceGate.Lakehouse.Storage;

namespace IceGate.Ingest.Shift;

/// <summary>A written data file into the store, its index first: a committed data file has its index unless indexing was off.</summary>
internal static class DataFileUpload
{
    /// <summary>The index of a data file of <paramref name="table"/> just written to <paramref name="localPath"/>, or null with indexing off.</summary>
    public static FileIndex? Index(DuckDBConnection duck, TableDefinition table, string localPath, IndexOptions options) =>
        options.Enabled ? FileIndexBuilder.Build(duck, table, localPath, options.AttributeKeys) : null;

    public static async Task PutAsync(IObjectStore store, DataFile file, string localPath, FileIndex? index, CancellationToken cancellationToken)
    {
        var key = store.KeyOf(file.FilePath);
        if (index is not null && IndexKeys.ForDataFile(key) is { } indexKey)
        {
            await store.PutAsync(indexKey, index.Serialize(), PutCondition.IfNoneMatch, cancellationToken).ConfigureAwait(false);
        }

        await store.PutAsync(key, await File.ReadAllBytesAsync(localPath, cancellationToken).ConfigureAwait(false), PutCondition.IfNoneMatch, cancellationToken).ConfigureAwait(false);
    }
}
