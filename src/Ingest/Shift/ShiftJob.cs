using System.Text.Json;
using System.Text.Json.Serialization;
using IceGate.Lakehouse.Storage;

namespace IceGate.Ingest.Shift;

/// <summary>
/// The shared state of one table's shift, kept in one object (<c>jobs/shift/&lt;table&gt;.json</c>)
/// that workers change only by compare-and-swap: at most one plan at a time, its tasks, who holds
/// each task's lease, and what each finished task produced.
/// </summary>
/// <param name="Plan">The plan in progress, or null when none is.</param>
/// <param name="WriteId">Unique per write, so a write whose outcome was lost can be recognised on read-back.</param>
public sealed record ShiftJob(ShiftPlan? Plan, string WriteId)
{
    /// <summary>The state's key for a table.</summary>
    public static string Key(string table) => $"jobs/shift/{table}.json";

    /// <summary>Reads the state and its ETag; a table never shifted has no state (null, null).</summary>
    public static Task<(ShiftJob? Job, string? ETag)> ReadAsync(IObjectStore store, string table, CancellationToken cancellationToken) =>
        SwappedDocument.ReadAsync<ShiftJob>(store, Key(table), cancellationToken);

    /// <summary>Replaces the state read with <paramref name="etag"/> by <paramref name="plan"/>; false if another worker changed it first.</summary>
    public static Task<bool> TrySwapAsync(IObjectStore store, string table, ShiftPlan? plan, string? etag, CancellationToken cancellationToken) =>
        SwappedDocument.TrySwapAsync(store, Key(table), new ShiftJob(plan, Guid.NewGuid().ToString("N")), etag, cancellationToken);
}

/// <summary>
/// A JSON document in the store changed only by compare-and-swap: the shift's job state and the
/// maintenance lease. Every write must carry something unique (a write id), so that a write whose
/// response was lost is recognised when the store reads it back.
/// </summary>
internal static class SwappedDocument
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The document and its ETag, or (null, null) if there is none yet.</summary>
    public static async Task<(T? Value, string? ETag)> ReadAsync<T>(IObjectStore store, string key, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(store);
        var data = await store.GetAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);
        return data is null ? (null, null) : (JsonSerializer.Deserialize<T>(data.Content.Span, s_json), data.ETag);
    }

    /// <summary>Writes <paramref name="value"/> if the document still has <paramref name="etag"/> (or, for null, does not exist yet).</summary>
    public static async Task<bool> TrySwapAsync<T>(IObjectStore store, string key, T value, string? etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var condition = etag is null ? PutCondition.IfNoneMatch : PutCondition.IfMatch(etag);
        return (await store.PutAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, s_json), condition, cancellationToken).ConfigureAwait(false)).Written;
    }
}

/// <summary>
/// One round of shifting: the WAL segments with offsets in (<see cref="FromMark"/>, <see cref="ToMark"/>],
/// split into tasks, committed as one Iceberg append that records <see cref="ToMark"/> as the table's
/// WAL mark.
/// </summary>
/// <param name="Id">Unique per plan; the commit's idempotency key is derived from it.</param>
/// <param name="FromMark">The table's WAL mark when the plan was made.</param>
/// <param name="ToMark">The mark the commit records: every segment at or below it is in the table once committed.</param>
/// <param name="Tasks">The tasks, each a run of segments.</param>
public sealed record ShiftPlan(string Id, long FromMark, long ToMark, IReadOnlyList<ShiftTask> Tasks)
{
    /// <summary>Every task has produced its files.</summary>
    public bool IsComplete => Tasks.All(t => t.Manifest is not null);

    /// <summary>The plan with one task replaced.</summary>
    public ShiftPlan With(ShiftTask task) => this with { Tasks = Tasks.Select(t => t.Index == task.Index ? task : t).ToList() };
}

/// <summary>A run of segments shifted together.</summary>
/// <param name="Index">The task's position in its plan.</param>
/// <param name="Segments">The segments' keys.</param>
/// <param name="InputBytes">Their total size.</param>
/// <param name="Owner">The worker holding the lease, if any.</param>
/// <param name="LeaseUntilMs">When the lease runs out (Unix ms); another worker may take the task over after it.</param>
/// <param name="Attempts">How many times the task was claimed.</param>
/// <param name="Manifest">Once done: the key of a manifest listing the data files it wrote.</param>
public sealed record ShiftTask(int Index, IReadOnlyList<string> Segments, long InputBytes, string? Owner = null, long LeaseUntilMs = 0, int Attempts = 0, string? Manifest = null);
