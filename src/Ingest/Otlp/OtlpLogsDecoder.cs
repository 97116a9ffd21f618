namespace IceGate.Ingest.Otlp;

/// <summary>
/// Decodes an OTLP <c>ExportLogsServiceRequest</c> (protobuf) into a <see cref="LogBatch"/>, reading
/// the wire format directly: no message objects, and no allocation per record or attribute.
/// </summary>
public static class OtlpLogsDecoder
{
    /// <summary>Decodes <paramref name="request"/>; malformed input throws <see cref="InvalidDataException"/>.</summary>
    public static LogBatch Decode(ReadOnlySpan<byte> request, string tenant, long ingestedMicros)
    {
        var batch = new LogBatch(tenant, ingestedMicros);
        var values = new AnyValueText(batch.Arena);
        return OtlpDecoding.DecodeRequest(request, batch, values, (item, b, resource, scope) => b.Add(LogRecord(item, b, values, resource, scope)));
    }

    private static LogRow LogRecord(ReadOnlySpan<byte> message, LogBatch batch, AnyValueText values, ResourceInfo resource, ScopeInfo scope)
    {
        var arena = batch.Arena;
        ulong time = 0, observed = 0;
        int severity = 0, flags = 0;
        Utf8Ref severityText = Utf8Ref.Null, body = Utf8Ref.Null, traceId = Utf8Ref.Null, spanId = Utf8Ref.Null;
        var firstAttribute = arena.EntryCount;
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(wire, WireType.Fixed64, field);
                    time = reader.ReadFixed64();
                    break;
                case 11:
                    reader.Expect(wire, WireType.Fixed64, field);
                    observed = reader.ReadFixed64();
                    break;
                case 2:
                    reader.Expect(wire, WireType.Varint, field);
                    severity = (int)reader.ReadVarint();
                    break;
                case 3:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    severityText = OtlpDecoding.Text(reader.ReadLengthDelimited(), arena);
                    break;
                case 5:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    body = values.Render(reader.ReadLengthDelimited());
                    break;
                case 6:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    values.AddAttribute(reader.ReadLengthDelimited());
                    break;
                case 8:
                    reader.Expect(wire, WireType.Fixed32, field);
                    flags = (int)reader.ReadFixed32();
                    break;
                case 9:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    traceId = OtlpDecoding.HexId(reader.ReadLengthDelimited(), 16, arena);
                    break;
                case 10:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    spanId = OtlpDecoding.HexId(reader.ReadLengthDelimited(), 8, arena);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        // An unknown time falls back to the observed time, then to the time IceGate received it.
        var timestamp = time != 0 ? OtlpDecoding.Micros(time) : observed != 0 ? OtlpDecoding.Micros(observed) : batch.IngestedMicros;
        return new LogRow(resource.ServiceName, timestamp, OtlpDecoding.Micros(observed), traceId, spanId, severity, severityText, body,
            resource.Attributes, scope.Name, scope.Version, scope.Attributes, arena.MapSince(firstAttribute), flags);
    }
}
