using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace IceGate.Ingest.Otlp;

/// <summary>
/// Decodes an OTLP <c>ExportMetricsServiceRequest</c> (protobuf) into a <see cref="MetricBatch"/>:
/// one row per data point, <c>metric_type</c> one of <c>gauge</c>, <c>sum</c>, <c>histogram</c>,
/// <c>exponential_histogram</c>, <c>summary</c>.
/// </summary>
public static class OtlpMetricsDecoder
{
    private static readonly (int Field, byte[] Name)[] s_types =
    [
        (5, "gauge"u8.ToArray()), (7, "sum"u8.ToArray()), (9, "histogram"u8.ToArray()), (10, "exponential_histogram"u8.ToArray()), (11, "summary"u8.ToArray()),
    ];

    /// <summary>Decodes <paramref name="request"/>; malformed input throws <see cref="InvalidDataException"/>.</summary>
    public static MetricBatch Decode(ReadOnlySpan<byte> request, string tenant, long ingestedMicros)
    {
        var batch = new MetricBatch(tenant, ingestedMicros);
        var values = new AnyValueText(batch.Arena);
        return OtlpDecoding.DecodeRequest(request, batch, values, (item, b, resource, scope) =>
            Metric(item, b, values, new Context(resource.Attributes, resource.ServiceName, scope.Name, scope.Version, scope.Attributes)));
    }

    private static void Metric(ReadOnlySpan<byte> message, MetricBatch batch, AnyValueText values, Context context)
    {
        // Name, description and unit may follow the data on the wire: read them first.
        var arena = batch.Arena;
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1 or 2 or 3:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    var text = OtlpDecoding.Text(reader.ReadLengthDelimited(), arena);
                    context = field switch { 1 => context with { Name = text }, 2 => context with { Description = text }, _ => context with { Unit = text } };
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        foreach (var (field, name) in s_types)
        {
            foreach (var data in Repeated(message, field))
            {
                Data(message[data], field, batch, values, context with { Type = arena.Add(name) });
            }
        }
    }

    private static void Data(ReadOnlySpan<byte> message, int type, MetricBatch batch, AnyValueText values, Context context)
    {
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 2 when type is 7 or 9 or 10:
                    reader.Expect(wire, WireType.Varint, field);
                    context = context with { Temporality = (int)reader.ReadVarint() };
                    break;
                case 3 when type == 7:
                    reader.Expect(wire, WireType.Varint, field);
                    context = context with { IsMonotonic = reader.ReadVarint() != 0 };
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        foreach (var point in Repeated(message, 1))
        {
            batch.Add(Point(message[point], type, batch, values, context));
        }
    }

    private static MetricRow Point(ReadOnlySpan<byte> message, int type, MetricBatch batch, AnyValueText values, Context context)
    {
        var arena = batch.Arena;
        var attributesField = type switch { 9 => 9, 10 => 1, _ => 7 };
        var flagsField = type switch { 9 or 10 => 10, _ => 8 };
        ulong start = 0, time = 0;
        double? valueDouble = null, sum = null, min = null, max = null;
        long? valueInt = null, count = null, zeroCount = null;
        int? scale = null, positiveOffset = null, negativeOffset = null;
        // Repeated values may arrive packed or one by one: collect them, render each array once.
        List<ulong>? buckets = null, positive = null, negative = null;
        List<double>? bounds = null;
        List<(double Quantile, double Value)>? quantiles = null;
        var flags = 0;
        var firstAttribute = arena.EntryCount;
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (field == attributesField)
            {
                reader.Expect(wire, WireType.LengthDelimited, field);
                values.AddAttribute(reader.ReadLengthDelimited());
                continue;
            }

            if (field == flagsField)
            {
                reader.Expect(wire, WireType.Varint, field);
                flags = (int)reader.ReadVarint();
                continue;
            }

            switch (type, field)
            {
                case (_, 2):
                    reader.Expect(wire, WireType.Fixed64, field);
                    start = reader.ReadFixed64();
                    break;
                case (_, 3):
                    reader.Expect(wire, WireType.Fixed64, field);
                    time = reader.ReadFixed64();
                    break;
                case (5 or 7, 4):
                    reader.Expect(wire, WireType.Fixed64, field);
                    valueDouble = reader.ReadDouble();
                    break;
                case (5 or 7, 6):
                    reader.Expect(wire, WireType.Fixed64, field);
                    valueInt = (long)reader.ReadFixed64();
                    break;
                case (9 or 10 or 11, 4):
                    reader.Expect(wire, WireType.Fixed64, field);
                    count = (long)reader.ReadFixed64();
                    break;
                case (9 or 10 or 11, 5):
                    reader.Expect(wire, WireType.Fixed64, field);
                    sum = reader.ReadDouble();
                    break;
                case (9, 6):
                    ReadFixed64s(ref reader, wire, buckets ??= [], static bits => bits);
                    break;
                case (9, 7):
                    ReadFixed64s(ref reader, wire, bounds ??= [], BitConverter.UInt64BitsToDouble);
                    break;
                case (9, 11) or (10, 12):
                    reader.Expect(wire, WireType.Fixed64, field);
                    min = reader.ReadDouble();
                    break;
                case (9, 12) or (10, 13):
                    reader.Expect(wire, WireType.Fixed64, field);
                    max = reader.ReadDouble();
                    break;
                case (10, 6):
                    reader.Expect(wire, WireType.Varint, field);
                    scale = ZigZag(reader.ReadVarint());
                    break;
                case (10, 7):
                    reader.Expect(wire, WireType.Fixed64, field);
                    zeroCount = (long)reader.ReadFixed64();
                    break;
                case (10, 8 or 9):
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    var counts = new List<ulong>();
                    var offset = ExponentialBuckets(reader.ReadLengthDelimited(), counts);
                    if (field == 8)
                    {
                        (positiveOffset, positive) = (offset, counts);
                    }
                    else
                    {
                        (negativeOffset, negative) = (offset, counts);
                    }

                    break;
                case (11, 6):
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    (quantiles ??= []).Add(Quantile(reader.ReadLengthDelimited()));
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        var timestamp = time != 0 ? OtlpDecoding.Micros(time) : batch.IngestedMicros;
        return new MetricRow(context.ServiceName, context.Name, context.Type, context.Description, context.Unit, timestamp, OtlpDecoding.Micros(start),
            arena.MapSince(firstAttribute), valueDouble, valueInt, context.IsMonotonic, context.Temporality, count, sum, min, max,
            JsonArray(arena, buckets, Integer), JsonArray(arena, bounds, Json),
            scale, zeroCount, positiveOffset, JsonArray(arena, positive, Integer), negativeOffset, JsonArray(arena, negative, Integer),
            JsonArray(arena, quantiles, q => $"{{\"quantile\":{Json(q.Quantile)},\"value\":{Json(q.Value)}}}"),
            context.ResourceAttributes, context.ScopeName, context.ScopeVersion, context.ScopeAttributes, flags);
    }

    private static int ZigZag(ulong value) => (int)(value >> 1) ^ -(int)(value & 1);

    /// <summary>Repeated fixed64 or double values, packed or one per field occurrence.</summary>
    private static void ReadFixed64s<T>(ref ProtoReader reader, WireType wire, List<T> into, Func<ulong, T> convert)
    {
        if (wire != WireType.LengthDelimited)
        {
            reader.Expect(wire, WireType.Fixed64, 0);
            into.Add(convert(reader.ReadFixed64()));
            return;
        }

        var packed = reader.ReadLengthDelimited();
        if (packed.Length % 8 != 0)
        {
            reader.Throw("packed fixed64 values are not a multiple of 8 bytes");
        }

        for (var i = 0; i < packed.Length; i += 8)
        {
            into.Add(convert(BinaryPrimitives.ReadUInt64LittleEndian(packed[i..])));
        }
    }

    /// <summary>ExponentialHistogramDataPoint.Buckets: 1 offset (sint32), 2 counts (packed uint64 varints); returns the offset.</summary>
    private static int ExponentialBuckets(ReadOnlySpan<byte> message, List<ulong> counts)
    {
        var offset = 0;
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (1, WireType.Varint):
                    offset = ZigZag(reader.ReadVarint());
                    break;
                case (2, WireType.LengthDelimited):
                    var packed = new ProtoReader(reader.ReadLengthDelimited());
                    while (packed.TryReadVarint(out var count))
                    {
                        counts.Add(count);
                    }

                    break;
                case (2, WireType.Varint):
                    counts.Add(reader.ReadVarint());
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return offset;
    }

    /// <summary>SummaryDataPoint.ValueAtQuantile: 1 quantile, 2 value.</summary>
    private static (double Quantile, double Value) Quantile(ReadOnlySpan<byte> message)
    {
        double quantile = 0, value = 0;
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (1, WireType.Fixed64):
                    quantile = reader.ReadDouble();
                    break;
                case (2, WireType.Fixed64):
                    value = reader.ReadDouble();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return (quantile, value);
    }

    /// <summary>Renders collected values as one JSON array in the arena; null if the field never appeared.</summary>
    private static Utf8Ref JsonArray<T>(RowArena arena, List<T>? values, Func<T, string> format) =>
        values is null ? Utf8Ref.Null : arena.Add(Encoding.UTF8.GetBytes($"[{string.Join(',', values.Select(format))}]"));

    private static string Integer(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A double as JSON: non-finite values (which JSON lacks) become null.</summary>
    private static string Json(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "null";

    /// <summary>The ranges of every length-delimited occurrence of <paramref name="field"/> in a message.</summary>
    private static List<Range> Repeated(ReadOnlySpan<byte> message, int field)
    {
        var ranges = new List<Range>();
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out var f, out var wire))
        {
            if (f == field && wire == WireType.LengthDelimited)
            {
                var payload = reader.ReadLengthDelimited();
                var end = message.Length - reader.Remaining;
                ranges.Add(new Range(end - payload.Length, end));
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return ranges;
    }

    private readonly record struct Context(MapRef ResourceAttributes, Utf8Ref ServiceName, Utf8Ref ScopeName, Utf8Ref ScopeVersion, MapRef ScopeAttributes)
    {
        public Utf8Ref Name { get; init; } = Utf8Ref.Null;

        public Utf8Ref Description { get; init; } = Utf8Ref.Null;

        public Utf8Ref Unit { get; init; } = Utf8Ref.Null;

        public Utf8Ref Type { get; init; } = Utf8Ref.Null;

        public int? Temporality { get; init; }

        public bool? IsMonotonic { get; init; }
    }
}
