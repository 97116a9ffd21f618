using System.Buffers;
using System.Text.Json;

namespace IceGate.Ingest.Otlp;

/// <summary>
/// Decodes an OTLP <c>ExportTraceServiceRequest</c> (protobuf) into a <see cref="SpanBatch"/>.
/// Kinds are stored as <c>unspecified</c>, <c>internal</c>, <c>server</c>, <c>client</c>,
/// <c>producer</c>, <c>consumer</c>; status codes as <c>unset</c>, <c>ok</c>, <c>error</c>; duration in ns.
/// </summary>
public static class OtlpTracesDecoder
{
    private static readonly byte[][] s_kinds = ["unspecified"u8.ToArray(), "internal"u8.ToArray(), "server"u8.ToArray(), "client"u8.ToArray(), "producer"u8.ToArray(), "consumer"u8.ToArray()];
    private static readonly byte[][] s_statusCodes = ["unset"u8.ToArray(), "ok"u8.ToArray(), "error"u8.ToArray()];

    /// <summary>Decodes <paramref name="request"/>; malformed input throws <see cref="InvalidDataException"/>.</summary>
    public static SpanBatch Decode(ReadOnlySpan<byte> request, string tenant, long ingestedMicros)
    {
        var batch = new SpanBatch(tenant, ingestedMicros);
        var context = new Context(batch);
        return OtlpDecoding.DecodeRequest(request, batch, context.Values, (item, b, resource, scope) => b.Add(Span(item, context, resource, scope)));
    }

    private static SpanRow Span(ReadOnlySpan<byte> message, Context context, ResourceInfo resource, ScopeInfo scope)
    {
        var arena = context.Batch.Arena;
        Utf8Ref traceId = Utf8Ref.Null, spanId = Utf8Ref.Null, parent = Utf8Ref.Null, traceState = Utf8Ref.Null, name = Utf8Ref.Null, statusMessage = Utf8Ref.Null;
        ulong start = 0, end = 0;
        int kind = 0, status = 0;
        var firstAttribute = arena.EntryCount;

        // Events and links are rendered after the span's own attributes, whose entries must stay contiguous.
        var events = context.Events;
        var links = context.Links;
        events.Clear();
        links.Clear();
        var reader = new ProtoReader(message);
        var consumed = 0;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    traceId = OtlpDecoding.HexId(reader.ReadLengthDelimited(), 16, arena);
                    break;
                case 2:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    spanId = OtlpDecoding.HexId(reader.ReadLengthDelimited(), 8, arena);
                    break;
                case 3:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    traceState = OtlpDecoding.Text(reader.ReadLengthDelimited(), arena);
                    break;
                case 4:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    parent = OtlpDecoding.HexId(reader.ReadLengthDelimited(), 8, arena);
                    break;
                case 5:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    name = OtlpDecoding.Text(reader.ReadLengthDelimited(), arena);
                    break;
                case 6:
                    reader.Expect(wire, WireType.Varint, field);
                    kind = (int)reader.ReadVarint();
                    break;
                case 7:
                    reader.Expect(wire, WireType.Fixed64, field);
                    start = reader.ReadFixed64();
                    break;
                case 8:
                    reader.Expect(wire, WireType.Fixed64, field);
                    end = reader.ReadFixed64();
                    break;
                case 9:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    context.Values.AddAttribute(reader.ReadLengthDelimited());
                    break;
                case 11 or 13:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    var element = reader.ReadLengthDelimited();
                    (field == 11 ? events : links).Add(new Range(consumed, consumed + element.Length));
                    context.Nested.Write(element);
                    consumed += element.Length;
                    break;
                case 15:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    (status, statusMessage) = Status(reader.ReadLengthDelimited(), arena);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        var attributes = arena.MapSince(firstAttribute);
        var nested = context.Nested.WrittenSpan;
        var eventsJson = events.Count == 0 ? Utf8Ref.Null : context.Json(nested, events, isEvent: true);
        var linksJson = links.Count == 0 ? Utf8Ref.Null : context.Json(nested, links, isEvent: false);
        context.Nested.ResetWrittenCount();

        var startMicros = start == 0 ? context.Batch.IngestedMicros : OtlpDecoding.Micros(start);
        var endMicros = end == 0 ? startMicros : OtlpDecoding.Micros(end);
        return new SpanRow(resource.ServiceName, traceId, spanId, parent, traceState, name,
            arena.Add(kind >= 0 && kind < s_kinds.Length ? s_kinds[kind] : s_kinds[0]),
            startMicros, endMicros, end >= start ? (long)(end - start) : 0,
            arena.Add(status >= 0 && status < s_statusCodes.Length ? s_statusCodes[status] : s_statusCodes[0]), statusMessage,
            resource.Attributes, scope.Name, scope.Version, attributes, eventsJson, linksJson);
    }

    private static (int Code, Utf8Ref Message) Status(ReadOnlySpan<byte> message, RowArena arena)
    {
        var (code, text) = (0, Utf8Ref.Null);
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 2:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    text = OtlpDecoding.Text(reader.ReadLengthDelimited(), arena);
                    break;
                case 3:
                    reader.Expect(wire, WireType.Varint, field);
                    code = (int)reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return (code, text);
    }

    /// <summary>Per-request scratch: the value renderer and buffers reused across spans.</summary>
    private sealed class Context(SpanBatch batch)
    {
        private readonly ArrayBufferWriter<byte> _json = new();
        private Utf8JsonWriter? _writer;

        public SpanBatch Batch { get; } = batch;

        public AnyValueText Values { get; } = new(batch.Arena);

        /// <summary>Where the span being decoded has its events and links in <see cref="Nested"/>; reused across spans.</summary>
        public List<Range> Events { get; } = [];

        public List<Range> Links { get; } = [];

        /// <summary>The raw Event and Link messages of the span being decoded.</summary>
        public ArrayBufferWriter<byte> Nested { get; } = new();

        /// <summary>Renders events or links as the staging JSON (see <see cref="SpanBatch.Layout"/>).</summary>
        public Utf8Ref Json(ReadOnlySpan<byte> nested, List<Range> elements, bool isEvent)
        {
            _json.ResetWrittenCount();
            if (_writer is null)
            {
                _writer = new Utf8JsonWriter(_json);
            }
            else
            {
                _writer.Reset(_json);
            }

            var arena = Batch.Arena;
            _writer.WriteStartArray();
            foreach (var range in elements)
            {
                var reader = new ProtoReader(nested[range]);
                var mark = arena.EntryCount;
                _writer.WriteStartObject();
                while (reader.TryReadTag(out var field, out var wire))
                {
                    switch (isEvent, field, wire)
                    {
                        case (true, 1, WireType.Fixed64):
                            _writer.WriteNumber("t", OtlpDecoding.Micros(reader.ReadFixed64()));
                            break;
                        case (true, 2, WireType.LengthDelimited):
                            _writer.WriteString("name", Checked(reader.ReadLengthDelimited()));
                            break;
                        case (false, 1, WireType.LengthDelimited):
                            WriteHex(_writer, "trace_id", OtlpDecoding.HexId(reader.ReadLengthDelimited(), 16, arena));
                            break;
                        case (false, 2, WireType.LengthDelimited):
                            WriteHex(_writer, "span_id", OtlpDecoding.HexId(reader.ReadLengthDelimited(), 8, arena));
                            break;
                        case (false, 3, WireType.LengthDelimited):
                            _writer.WriteString("trace_state", Checked(reader.ReadLengthDelimited()));
                            break;
                        case (true, 3, WireType.LengthDelimited) or (false, 4, WireType.LengthDelimited):
                            Values.AddAttribute(reader.ReadLengthDelimited());
                            break;
                        default:
                            reader.Skip(wire);
                            break;
                    }
                }

                _writer.WriteStartObject("attributes");
                foreach (var (key, value) in arena.Entries(arena.MapSince(mark)))
                {
                    _writer.WriteString(arena.Get(key), arena.Get(value));
                }

                _writer.WriteEndObject();
                _writer.WriteEndObject();
                arena.TruncateEntries(mark);
            }

            _writer.WriteEndArray();
            _writer.Flush();
            return arena.Add(_json.WrittenSpan);
        }

        private static ReadOnlySpan<byte> Checked(ReadOnlySpan<byte> utf8) =>
            System.Text.Unicode.Utf8.IsValid(utf8) ? utf8 : throw new InvalidDataException("A string field is not valid UTF-8.");

        private void WriteHex(Utf8JsonWriter writer, string property, Utf8Ref id)
        {
            if (id.IsNull)
            {
                writer.WriteNull(property);
            }
            else
            {
                writer.WriteString(property, Batch.Arena.Get(id));
            }
        }
    }
}
