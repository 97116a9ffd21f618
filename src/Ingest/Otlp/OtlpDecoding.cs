namespace IceGate.Ingest.Otlp;

/// <summary>A resource's attributes and service name.</summary>
internal readonly record struct ResourceInfo(MapRef Attributes, Utf8Ref ServiceName);

/// <summary>An instrumentation scope's name, version and attributes.</summary>
internal readonly record struct ScopeInfo(Utf8Ref Name, Utf8Ref Version, MapRef Attributes);

/// <summary>Decodes one log record, span or metric of a scope into the batch.</summary>
internal delegate void ItemDecoder<in TBatch>(ReadOnlySpan<byte> item, TBatch batch, ResourceInfo resource, ScopeInfo scope);

/// <summary>Pieces every OTLP decoder shares: the request envelope, resources, scopes, ids and times.</summary>
internal static class OtlpDecoding
{
    /// <summary>
    /// Walks an <c>Export*ServiceRequest</c> (every signal nests the same way: field 1 resources,
    /// each with field 2 scopes, each with field 2 items) and decodes each item into
    /// <paramref name="batch"/>, which is disposed if decoding fails.
    /// </summary>
    public static TBatch DecodeRequest<TBatch>(ReadOnlySpan<byte> request, TBatch batch, AnyValueText values, ItemDecoder<TBatch> decodeItem)
        where TBatch : ArenaBatch
    {
        try
        {
            var requestReader = new ProtoReader(request);
            while (requestReader.TryReadTag(out var field, out var wire))
            {
                if (field != 1)
                {
                    requestReader.Skip(wire);
                    continue;
                }

                requestReader.Expect(wire, WireType.LengthDelimited, field);
                var resourceEnvelope = requestReader.ReadLengthDelimited();
                var resource = Resource(resourceEnvelope, batch.Arena, values);
                var resourceReader = new ProtoReader(resourceEnvelope);
                while (resourceReader.TryReadTag(out var resourceField, out var resourceWire))
                {
                    if (resourceField != 2)
                    {
                        resourceReader.Skip(resourceWire);
                        continue;
                    }

                    resourceReader.Expect(resourceWire, WireType.LengthDelimited, resourceField);
                    var scopeEnvelope = resourceReader.ReadLengthDelimited();
                    var scope = Scope(scopeEnvelope, batch.Arena, values);
                    var scopeReader = new ProtoReader(scopeEnvelope);
                    while (scopeReader.TryReadTag(out var scopeField, out var scopeWire))
                    {
                        if (scopeField != 2)
                        {
                            scopeReader.Skip(scopeWire);
                            continue;
                        }

                        scopeReader.Expect(scopeWire, WireType.LengthDelimited, scopeField);
                        var item = scopeReader.ReadLengthDelimited();
                        var entries = batch.Arena.EntryCount;
                        var records = batch.RecordCount;
                        try
                        {
                            decodeItem(item, batch, resource, scope);
                        }
                        catch (InvalidDataException e)
                        {
                            // A bad record is rejected alone (partial success); its item bytes are
                            // self-delimited, so the rest of the request is still well-formed.
                            batch.Arena.TruncateEntries(entries);
                            batch.Reject(batch.RecordCount - records, e.Message);
                        }
                    }
                }
            }

            if (batch.Rejected > 0 && batch.RecordCount == 0)
            {
                throw new InvalidDataException($"Every record was rejected; the first: {batch.RejectionMessage}");
            }

            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    private static ReadOnlySpan<byte> ServiceNameKey => "service.name"u8;

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>A resource's attributes as a map, and its <c>service.name</c> (<c>unknown_service</c> if none).</summary>
    private static ResourceInfo Resource(ReadOnlySpan<byte> envelope, RowArena arena, AnyValueText values)
    {
        // The resource is field 1 of Resource{Logs,Spans,Metrics}; protobuf allows any field order, so find it first.
        var reader = new ProtoReader(envelope);
        var resource = ReadOnlySpan<byte>.Empty;
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                resource = reader.ReadLengthDelimited();
            }
            else
            {
                reader.Skip(wire);
            }
        }

        var first = arena.EntryCount;
        var attributes = new ProtoReader(resource);
        while (attributes.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                values.AddAttribute(attributes.ReadLengthDelimited());
            }
            else
            {
                attributes.Skip(wire);
            }
        }

        var map = arena.MapSince(first);
        var service = Utf8Ref.Null;
        foreach (var (key, value) in arena.Entries(map))
        {
            if (arena.Get(key).SequenceEqual(ServiceNameKey) && !value.IsNull && value.Length > 0)
            {
                service = value;
            }
        }

        return new ResourceInfo(map, service.IsNull ? arena.Add("unknown_service"u8) : service);
    }

    /// <summary>An instrumentation scope (field 1 of Scope{Logs,Spans,Metrics}): name, version, attributes.</summary>
    private static ScopeInfo Scope(ReadOnlySpan<byte> envelope, RowArena arena, AnyValueText values)
    {
        var reader = new ProtoReader(envelope);
        var scope = ReadOnlySpan<byte>.Empty;
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                scope = reader.ReadLengthDelimited();
            }
            else
            {
                reader.Skip(wire);
            }
        }

        var name = Utf8Ref.Null;
        var version = Utf8Ref.Null;
        var first = arena.EntryCount;
        var fields = new ProtoReader(scope);
        while (fields.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    fields.Expect(wire, WireType.LengthDelimited, field);
                    name = Text(fields.ReadLengthDelimited(), arena);
                    break;
                case 2:
                    fields.Expect(wire, WireType.LengthDelimited, field);
                    version = Text(fields.ReadLengthDelimited(), arena);
                    break;
                case 3:
                    fields.Expect(wire, WireType.LengthDelimited, field);
                    values.AddAttribute(fields.ReadLengthDelimited());
                    break;
                default:
                    fields.Skip(wire);
                    break;
            }
        }

        return new ScopeInfo(name, version, arena.MapSince(first));
    }

    /// <summary>A string field: UTF-8 checked; empty counts as absent.</summary>
    public static Utf8Ref Text(ReadOnlySpan<byte> utf8, RowArena arena)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new InvalidDataException("A string field is not valid UTF-8.");
        }

        return utf8.IsEmpty ? Utf8Ref.Null : arena.Add(utf8);
    }

    /// <summary>A trace or span id as lowercase hex; a wrong length or all zeros counts as absent.</summary>
    public static Utf8Ref HexId(ReadOnlySpan<byte> id, int length, RowArena arena)
    {
        if (id.Length != length || !id.ContainsAnyExcept((byte)0))
        {
            return Utf8Ref.Null;
        }

        var hex = arena.Reserve(length * 2);
        for (var i = 0; i < id.Length; i++)
        {
            hex[2 * i] = HexDigits[id[i] >> 4];
            hex[(2 * i) + 1] = HexDigits[id[i] & 0xF];
        }

        return arena.Commit(length * 2);
    }

    /// <summary>The current time in microseconds since the epoch: when a request was received.</summary>
    public static long NowMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>Nanoseconds since the epoch to microseconds.</summary>
    public static long Micros(ulong nanos) => (long)(nanos / 1000);
}
