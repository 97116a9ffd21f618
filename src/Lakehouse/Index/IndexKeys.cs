namespace IceGate.Lakehouse.Index;

/// <summary>
/// Where a data file's index object lives: under the table's <c>index/</c> folder, at the data
/// file's path within <c>data/</c> plus <c>.igx</c>. Orphan collection maps one to the other, so an
/// index goes when its data file does.
/// </summary>
public static class IndexKeys
{
    private const string DataFolder = "/data/";
    private const string IndexFolder = "/index/";
    private const string Suffix = ".igx";

    /// <summary>The index key of a data file's key (or URI), or null for one outside a table's data folder.</summary>
    public static string? ForDataFile(string dataFile)
    {
        ArgumentNullException.ThrowIfNull(dataFile);
        var at = dataFile.LastIndexOf(DataFolder, StringComparison.Ordinal);
        return at < 0 ? null : string.Concat(dataFile.AsSpan(0, at), IndexFolder, dataFile.AsSpan(at + DataFolder.Length), Suffix);
    }

    /// <summary>The data file an index key (or URI) belongs to, or null if it is not an index key.</summary>
    public static string? DataFileOf(string index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var at = index.LastIndexOf(IndexFolder, StringComparison.Ordinal);
        return at < 0 || !index.EndsWith(Suffix, StringComparison.Ordinal) ? null
            : string.Concat(index.AsSpan(0, at), DataFolder, index.AsSpan(at + IndexFolder.Length, index.Length - at - IndexFolder.Length - Suffix.Length));
    }
}
