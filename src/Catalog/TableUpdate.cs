using System.Globalization;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Catalog;

/// <summary>
/// A change to a table, applied by <see cref="IcebergCatalog.CommitAsync"/>. Changes that add or
/// remove files produce a snapshot whose summary holds <see cref="SummaryProperties"/> and, if
/// given, the <see cref="IdempotencyKey"/>: a commit whose key is already in a retained snapshot's
/// summary is not applied again, which is what makes a retried commit exactly-once.
/// </summary>
public abstract record TableUpdate
{
    /// <summary>The summary key that records idempotency keys.</summary>
    public const string IdempotencyKeyProperty = "icegate.idempotency-key";

    /// <summary>
    /// Summary entries under this prefix are marks: integers that only grow (such as how far the
    /// WAL has been committed). Every later snapshot carries them forward, and a change that sets a
    /// mark to a value not above the table's current one is reported as already applied, atomically
    /// with the commit, however old the snapshot that recorded it.
    /// </summary>
    public const string MarkPrefix = "icegate.mark.";

    /// <summary>A key identifying this change, unique per intended change.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Extra snapshot summary entries (such as a WAL high-water mark).</summary>
    public IReadOnlyDictionary<string, string> SummaryProperties { get; init; } = new Dictionary<string, string>();
}

/// <summary>Reading marks (see <see cref="TableUpdate.MarkPrefix"/>) from snapshots.</summary>
public static class SnapshotMarks
{
    /// <summary>The value of mark <paramref name="name"/> (without the prefix) the snapshot carries, if any.</summary>
    public static long? Mark(this Snapshot? snapshot, string name) =>
        snapshot?.Summary.TryGetValue(TableUpdate.MarkPrefix + name, out var text) == true && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>The marks a change sets that do not move past the snapshot's: the change was already applied.</summary>
    internal static bool IsBehind(this TableUpdate update, Snapshot? current) =>
        update.SummaryProperties.Any(p => p.Key.StartsWith(TableUpdate.MarkPrefix, StringComparison.Ordinal)
            && current.Mark(p.Key[TableUpdate.MarkPrefix.Length..]) is { } recorded
            && long.Parse(p.Value, NumberStyles.Integer, CultureInfo.InvariantCulture) <= recorded);
}

/// <summary>Adds data files (operation <c>append</c>).</summary>
public sealed record AppendFiles(IReadOnlyList<DataFile> Files) : TableUpdate;

/// <summary>Replaces live files by others holding the same rows (operation <c>replace</c>: compaction). Fails if an input is no longer live.</summary>
public sealed record ReplaceFiles(IReadOnlyList<string> Removed, IReadOnlyList<DataFile> Added) : TableUpdate;

/// <summary>Removes live files (operation <c>delete</c>: retention). Fails if one is no longer live.</summary>
public sealed record DeleteFiles(IReadOnlyList<string> Removed) : TableUpdate;

/// <summary>Forgets snapshots older than <see cref="OlderThanMs"/>, keeping at least the newest <see cref="RetainLast"/> and always the current one.</summary>
public sealed record ExpireSnapshots(long OlderThanMs, int RetainLast = 1) : TableUpdate;

/// <summary>Sets and removes table properties.</summary>
public sealed record SetProperties(IReadOnlyDictionary<string, string> Updates, IReadOnlyList<string>? Removals = null) : TableUpdate;

/// <summary>The outcome of a commit.</summary>
/// <param name="MetadataLocation">The table's metadata file after the commit.</param>
/// <param name="Metadata">The table's metadata after the commit.</param>
/// <param name="Snapshot">The snapshot the commit produced, or that had already applied it.</param>
/// <param name="AlreadyApplied">True if the idempotency key was found and nothing was written.</param>
/// <param name="Attempts">How many attempts the commit took (more than one after conflicts).</param>
public sealed record CommitResult(string MetadataLocation, TableMetadata Metadata, Snapshot? Snapshot, bool AlreadyApplied, int Attempts);

/// <summary>A table as loaded from the catalog.</summary>
public sealed record LoadedTable(string MetadataLocation, TableMetadata Metadata);
