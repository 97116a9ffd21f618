using System.Text;
using System.Text.Json;

namespace IceGate.Ingest.Otlp;

/// <summary>
/// <c>Export*ServiceResponse</c>: empty on full success; with <c>partial_success</c> (1: rejected
/// count, 2: error message) when some records were refused, which clients do not retry.
/// </summary>
internal static class ExportResponse
{
    public static byte[] Protobuf(long rejected, string? message) =>
        rejected == 0 ? [] : new ProtoWriter().Bytes(1, new ProtoWriter().Varint(1, (ulong)rejected).Bytes(2, Encoding.UTF8.GetBytes(message ?? string.Empty)).ToArray()).ToArray();

    public static byte[] Json(Signal signal, long rejected, string? message)
    {
        if (rejected == 0)
        {
            return "{}"u8.ToArray();
        }

        var countName = signal switch { Signal.Logs => "rejectedLogRecords", Signal.Traces => "rejectedSpans", _ => "rejectedDataPoints" };
        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, Dictionary<string, string>>
        {
            ["partialSuccess"] = new() { [countName] = rejected.ToString(System.Globalization.CultureInfo.InvariantCulture), ["errorMessage"] = message ?? string.Empty },
        });
    }
}
