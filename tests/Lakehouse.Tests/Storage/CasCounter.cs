using System.Globalization;
using System.Text;
using IceGate.Lakehouse.Storage;

namespace IceGate.Lakehouse.Tests.Storage;

/// <summary>
/// A counter object incremented by compare-and-swap the way IceGate's own state is changed: each
/// increment is an operation with a unique id, recorded in the object, so an increment whose
/// outcome could not be observed (a lost response, then others writing on top) is recognised
/// instead of applied twice. The object holds the count on its first line and one id per line.
/// </summary>
internal static class CasCounter
{
    public static byte[] Initial => "0\n"u8.ToArray();

    /// <summary>Adds one; returns how many compare-and-swap attempts lost a race.</summary>
    public static async Task<int> IncrementAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        var operation = Guid.NewGuid().ToString("N");
        for (var conflicts = 0; ; conflicts++)
        {
            var current = await store.GetAsync(key, cancellationToken: cancellationToken) ?? throw new InvalidOperationException($"counter '{key}' is missing");
            var lines = Encoding.UTF8.GetString(current.Content.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.AsSpan(1).Contains(operation))
            {
                return conflicts;
            }

            var next = $"{long.Parse(lines[0], CultureInfo.InvariantCulture) + 1}\n{string.Join('\n', lines[1..])}\n{operation}\n";
            if ((await store.PutAsync(key, Encoding.UTF8.GetBytes(next), PutCondition.IfMatch(current.ETag), cancellationToken)).Written)
            {
                return conflicts;
            }
        }
    }

    public static async Task<(long Count, int Operations)> ReadAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        var lines = Encoding.UTF8.GetString((await store.GetAsync(key, cancellationToken: cancellationToken))!.Content.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(lines[0], CultureInfo.InvariantCulture), lines.Skip(1).Distinct().Count());
    }
}
