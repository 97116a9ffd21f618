using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace IceGate.Ingest.Otlp;

/// <summary>
/// OTLP/JSON: transcodes a JSON <c>Export*ServiceRequest</c> into the equivalent protobuf, which
/// the protobuf decoders then read, so both encodings share one decoding path. Follows OTLP's
/// JSON rules: lowerCamelCase keys (snake_case accepted too), unknown fields ignored, trace and span
/// ids as hex, other bytes as base64, 64-bit integers as strings or numbers, enums as integers.
/// </summary>
public static class OtlpJson
{
    private enum Kind
    {
        String,
        HexBytes,
        Base64Bytes,
        Varint,
        Bool,
        SInt32,
        Fixed32,
        Fixed64,
        SFixed64,
        Double,
        Message,
        PackedFixed64,
        PackedDouble,
        PackedVarint,
    }

    private sealed record FieldSpec(int Number, Kind Kind, string? Message = null);

    private static readonly Dictionary<string, Dictionary<string, FieldSpec>> s_messages = Build();

    /// <summary>The protobuf equivalent of a JSON request for <paramref name="signal"/>; malformed JSON throws <see cref="InvalidDataException"/>.</summary>
    public static byte[] ToProtobuf(Signal signal, ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
            var writer = new ProtoWriter();
            WriteMessage(writer, document.RootElement, signal switch
            {
                Signal.Logs => "ExportLogs",
                Signal.Traces => "ExportTraces",
                _ => "ExportMetrics",
            });
            return writer.ToArray();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Malformed OTLP/JSON: {e.Message}", e);
        }
    }

    private static void WriteMessage(ProtoWriter writer, JsonElement json, string message)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"Expected a JSON object for {message}, found {json.ValueKind}.");
        }

        var fields = s_messages[message];
        foreach (var property in json.EnumerateObject())
        {
            if (fields.TryGetValue(Normalize(property.Name), out var field) && property.Value.ValueKind != JsonValueKind.Null)
            {
                if (property.Value.ValueKind == JsonValueKind.Array && field.Kind is not (Kind.PackedFixed64 or Kind.PackedDouble or Kind.PackedVarint))
                {
                    foreach (var item in property.Value.EnumerateArray())
                    {
                        WriteField(writer, field, item);
                    }
                }
                else
                {
                    WriteField(writer, field, property.Value);
                }
            }
        }
    }

    private static void WriteField(ProtoWriter writer, FieldSpec field, JsonElement value)
    {
        switch (field.Kind)
        {
            case Kind.String:
                writer.Bytes(field.Number, Encoding.UTF8.GetBytes(Text(value)));
                break;
            case Kind.HexBytes:
                writer.Bytes(field.Number, Hex(Text(value)));
                break;
            case Kind.Base64Bytes:
                writer.Bytes(field.Number, Convert.FromBase64String(Text(value)));
                break;
            case Kind.Varint:
                writer.Varint(field.Number, unchecked((ulong)Int64(value)));
                break;
            case Kind.Bool:
                writer.Varint(field.Number, value.ValueKind == JsonValueKind.True ? 1UL : value.ValueKind == JsonValueKind.False ? 0UL : throw new InvalidDataException("Expected a JSON boolean."));
                break;
            case Kind.SInt32:
                var sint = (int)Int64(value);
                writer.Varint(field.Number, (uint)((sint << 1) ^ (sint >> 31)));
                break;
            case Kind.Fixed32:
                writer.Fixed32(field.Number, (uint)Int64(value));
                break;
            case Kind.Fixed64 or Kind.SFixed64:
                writer.Fixed64(field.Number, field.Kind == Kind.Fixed64 ? UInt64(value) : unchecked((ulong)Int64(value)));
                break;
            case Kind.Double:
                writer.Fixed64(field.Number, BitConverter.DoubleToUInt64Bits(Double(value)));
                break;
            case Kind.Message:
                var child = new ProtoWriter();
                WriteMessage(child, value, field.Message!);
                writer.Bytes(field.Number, child.Written);
                break;
            case Kind.PackedFixed64 or Kind.PackedDouble or Kind.PackedVarint:
                var packed = new List<byte>();
                foreach (var item in value.EnumerateArray())
                {
                    var bytes = new byte[8];
                    if (field.Kind == Kind.PackedVarint)
                    {
                        var varint = UInt64(item);
                        while (varint >= 0x80)
                        {
                            packed.Add((byte)(varint | 0x80));
                            varint >>= 7;
                        }

                        packed.Add((byte)varint);
                        continue;
                    }

                    BinaryPrimitives.WriteUInt64LittleEndian(bytes, field.Kind == Kind.PackedDouble ? BitConverter.DoubleToUInt64Bits(Double(item)) : UInt64(item));
                    packed.AddRange(bytes);
                }

                writer.Bytes(field.Number, packed.ToArray());
                break;
        }
    }

    private static string Normalize(string name) => name.Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant();

    private static string Text(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new InvalidDataException($"Expected a JSON string, found {value.ValueKind}.");

    private static long Int64(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt64(out var number) => number,
        JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var text) => text,
        _ => throw new InvalidDataException($"Expected an integer, found {value.GetRawText()}."),
    };

    private static ulong UInt64(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetUInt64(out var number) => number,
        JsonValueKind.String when ulong.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var text) => text,
        _ => throw new InvalidDataException($"Expected an unsigned integer, found {value.GetRawText()}."),
    };

    private static double Double(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => value.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => throw new InvalidDataException($"Expected a number, found {value.GetRawText()}."),
        },
        _ => throw new InvalidDataException($"Expected a number, found {value.GetRawText()}."),
    };

    private static byte[] Hex(string text)
    {
        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"'{text}' is not a hex id.", e);
        }
    }

    /// <summary>The OTLP messages, by field name: numbers and wire kinds from opentelemetry-proto.</summary>
    private static Dictionary<string, Dictionary<string, FieldSpec>> Build()
    {
        static Dictionary<string, FieldSpec> M(params (string Name, FieldSpec Field)[] fields) =>
            fields.ToDictionary(f => Normalize(f.Name), f => f.Field);

        static FieldSpec Msg(int number, string message) => new(number, Kind.Message, message);

        var messages = new Dictionary<string, Dictionary<string, FieldSpec>>
        {
            ["AnyValue"] = M(("stringValue", new(1, Kind.String)), ("boolValue", new(2, Kind.Bool)), ("intValue", new(3, Kind.Varint)), ("doubleValue", new(4, Kind.Double)),
                ("arrayValue", Msg(5, "ArrayValue")), ("kvlistValue", Msg(6, "KeyValueList")), ("bytesValue", new(7, Kind.Base64Bytes))),
            ["ArrayValue"] = M(("values", Msg(1, "AnyValue"))),
            ["KeyValueList"] = M(("values", Msg(1, "KeyValue"))),
            ["KeyValue"] = M(("key", new(1, Kind.String)), ("value", Msg(2, "AnyValue"))),
            ["Resource"] = M(("attributes", Msg(1, "KeyValue")), ("droppedAttributesCount", new(2, Kind.Varint))),
            ["Scope"] = M(("name", new(1, Kind.String)), ("version", new(2, Kind.String)), ("attributes", Msg(3, "KeyValue")), ("droppedAttributesCount", new(4, Kind.Varint))),

            ["ExportLogs"] = M(("resourceLogs", Msg(1, "ResourceLogs"))),
            ["ResourceLogs"] = M(("resource", Msg(1, "Resource")), ("scopeLogs", Msg(2, "ScopeLogs")), ("schemaUrl", new(3, Kind.String))),
            ["ScopeLogs"] = M(("scope", Msg(1, "Scope")), ("logRecords", Msg(2, "LogRecord")), ("schemaUrl", new(3, Kind.String))),
            ["LogRecord"] = M(("timeUnixNano", new(1, Kind.Fixed64)), ("observedTimeUnixNano", new(11, Kind.Fixed64)), ("severityNumber", new(2, Kind.Varint)),
                ("severityText", new(3, Kind.String)), ("body", Msg(5, "AnyValue")), ("attributes", Msg(6, "KeyValue")), ("droppedAttributesCount", new(7, Kind.Varint)),
                ("flags", new(8, Kind.Fixed32)), ("traceId", new(9, Kind.HexBytes)), ("spanId", new(10, Kind.HexBytes)), ("eventName", new(12, Kind.String))),

            ["ExportTraces"] = M(("resourceSpans", Msg(1, "ResourceSpans"))),
            ["ResourceSpans"] = M(("resource", Msg(1, "Resource")), ("scopeSpans", Msg(2, "ScopeSpans")), ("schemaUrl", new(3, Kind.String))),
            ["ScopeSpans"] = M(("scope", Msg(1, "Scope")), ("spans", Msg(2, "Span")), ("schemaUrl", new(3, Kind.String))),
            ["Span"] = M(("traceId", new(1, Kind.HexBytes)), ("spanId", new(2, Kind.HexBytes)), ("traceState", new(3, Kind.String)), ("parentSpanId", new(4, Kind.HexBytes)),
                ("name", new(5, Kind.String)), ("kind", new(6, Kind.Varint)), ("startTimeUnixNano", new(7, Kind.Fixed64)), ("endTimeUnixNano", new(8, Kind.Fixed64)),
                ("attributes", Msg(9, "KeyValue")), ("droppedAttributesCount", new(10, Kind.Varint)), ("events", Msg(11, "Event")), ("droppedEventsCount", new(12, Kind.Varint)),
                ("links", Msg(13, "Link")), ("droppedLinksCount", new(14, Kind.Varint)), ("status", Msg(15, "Status")), ("flags", new(16, Kind.Fixed32))),
            ["Event"] = M(("timeUnixNano", new(1, Kind.Fixed64)), ("name", new(2, Kind.String)), ("attributes", Msg(3, "KeyValue")), ("droppedAttributesCount", new(4, Kind.Varint))),
            ["Link"] = M(("traceId", new(1, Kind.HexBytes)), ("spanId", new(2, Kind.HexBytes)), ("traceState", new(3, Kind.String)), ("attributes", Msg(4, "KeyValue")),
                ("droppedAttributesCount", new(5, Kind.Varint)), ("flags", new(6, Kind.Fixed32))),
            ["Status"] = M(("message", new(2, Kind.String)), ("code", new(3, Kind.Varint))),

            ["ExportMetrics"] = M(("resourceMetrics", Msg(1, "ResourceMetrics"))),
            ["ResourceMetrics"] = M(("resource", Msg(1, "Resource")), ("scopeMetrics", Msg(2, "ScopeMetrics")), ("schemaUrl", new(3, Kind.String))),
            ["ScopeMetrics"] = M(("scope", Msg(1, "Scope")), ("metrics", Msg(2, "Metric")), ("schemaUrl", new(3, Kind.String))),
            ["Metric"] = M(("name", new(1, Kind.String)), ("description", new(2, Kind.String)), ("unit", new(3, Kind.String)), ("gauge", Msg(5, "Gauge")), ("sum", Msg(7, "Sum")),
                ("histogram", Msg(9, "Histogram")), ("exponentialHistogram", Msg(10, "ExponentialHistogram")), ("summary", Msg(11, "Summary")), ("metadata", Msg(12, "KeyValue"))),
            ["Gauge"] = M(("dataPoints", Msg(1, "NumberDataPoint"))),
            ["Sum"] = M(("dataPoints", Msg(1, "NumberDataPoint")), ("aggregationTemporality", new(2, Kind.Varint)), ("isMonotonic", new(3, Kind.Bool))),
            ["Histogram"] = M(("dataPoints", Msg(1, "HistogramDataPoint")), ("aggregationTemporality", new(2, Kind.Varint))),
            ["ExponentialHistogram"] = M(("dataPoints", Msg(1, "ExponentialHistogramDataPoint")), ("aggregationTemporality", new(2, Kind.Varint))),
            ["Summary"] = M(("dataPoints", Msg(1, "SummaryDataPoint"))),
            ["NumberDataPoint"] = M(("attributes", Msg(7, "KeyValue")), ("startTimeUnixNano", new(2, Kind.Fixed64)), ("timeUnixNano", new(3, Kind.Fixed64)),
                ("asDouble", new(4, Kind.Double)), ("asInt", new(6, Kind.SFixed64)), ("flags", new(8, Kind.Varint))),
            ["HistogramDataPoint"] = M(("attributes", Msg(9, "KeyValue")), ("startTimeUnixNano", new(2, Kind.Fixed64)), ("timeUnixNano", new(3, Kind.Fixed64)),
                ("count", new(4, Kind.Fixed64)), ("sum", new(5, Kind.Double)), ("bucketCounts", new(6, Kind.PackedFixed64)), ("explicitBounds", new(7, Kind.PackedDouble)),
                ("flags", new(10, Kind.Varint)), ("min", new(11, Kind.Double)), ("max", new(12, Kind.Double))),
            ["ExponentialHistogramDataPoint"] = M(("attributes", Msg(1, "KeyValue")), ("startTimeUnixNano", new(2, Kind.Fixed64)), ("timeUnixNano", new(3, Kind.Fixed64)),
                ("count", new(4, Kind.Fixed64)), ("sum", new(5, Kind.Double)), ("scale", new(6, Kind.SInt32)), ("zeroCount", new(7, Kind.Fixed64)),
                ("positive", Msg(8, "Buckets")), ("negative", Msg(9, "Buckets")), ("flags", new(10, Kind.Varint)), ("min", new(12, Kind.Double)), ("max", new(13, Kind.Double)),
                ("zeroThreshold", new(14, Kind.Double))),
            ["Buckets"] = M(("offset", new(1, Kind.SInt32)), ("bucketCounts", new(2, Kind.PackedVarint))),
            ["SummaryDataPoint"] = M(("attributes", Msg(7, "KeyValue")), ("startTimeUnixNano", new(2, Kind.Fixed64)), ("timeUnixNano", new(3, Kind.Fixed64)),
                ("count", new(4, Kind.Fixed64)), ("sum", new(5, Kind.Double)), ("quantileValues", Msg(6, "ValueAtQuantile")), ("flags", new(8, Kind.Varint))),
            ["ValueAtQuantile"] = M(("quantile", new(1, Kind.Double)), ("value", new(2, Kind.Double))),
        };
        return messages;
    }
}
