using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace IceGate.Ingest.Otlp;

/// <summary>
/// Renders OTLP <c>AnyValue</c>s and attributes into a <see cref="RowArena"/> as IceGate stores
/// them: strings as they are, other scalars as text (<c>true</c>, <c>42</c>, <c>1.5</c>, base64
/// bytes), arrays and key-value lists as JSON. Nesting deeper than <see cref="MaxDepth"/> is refused.
/// </summary>
internal sealed class AnyValueText(RowArena arena)
{
    public const int MaxDepth = 32;

    private readonly ArrayBufferWriter<byte> _json = new();
    private Utf8JsonWriter? _writer;

    /// <summary>Decodes a <c>repeated KeyValue</c> field's element and adds it to the open map.</summary>
    public void AddAttribute(ReadOnlySpan<byte> keyValue)
    {
        var reader = new ProtoReader(keyValue);
        var key = ReadOnlySpan<byte>.Empty;
        var value = ReadOnlySpan<byte>.Empty;
        var hasValue = false;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    key = reader.ReadLengthDelimited();
                    break;
                case 2:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    value = reader.ReadLengthDelimited();
                    hasValue = true;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        RequireUtf8(key, "attribute key");
        arena.AddEntry(arena.Add(key), hasValue ? Render(value) : Utf8Ref.Null);
    }

    /// <summary>Renders an AnyValue message as text; an empty value is null.</summary>
    public Utf8Ref Render(ReadOnlySpan<byte> anyValue)
    {
        var reader = new ProtoReader(anyValue);
        var result = Utf8Ref.Null;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    var text = reader.ReadLengthDelimited();
                    RequireUtf8(text, "string value");
                    result = arena.Add(text);
                    break;
                case 2:
                    reader.Expect(wire, WireType.Varint, field);
                    result = arena.Add(reader.ReadVarint() != 0 ? "true"u8 : "false"u8);
                    break;
                case 3:
                    reader.Expect(wire, WireType.Varint, field);
                    result = Format((long)reader.ReadVarint());
                    break;
                case 4:
                    reader.Expect(wire, WireType.Fixed64, field);
                    result = Format(reader.ReadDouble());
                    break;
                case 5 or 6:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    result = RenderJson(field, reader.ReadLengthDelimited());
                    break;
                case 7:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    var bytes = reader.ReadLengthDelimited();
                    var space = arena.Reserve(Base64.GetMaxEncodedToUtf8Length(bytes.Length));
                    Base64.EncodeToUtf8(bytes, space, out _, out var written);
                    result = arena.Commit(written);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return result;
    }

    private static void RequireUtf8(ReadOnlySpan<byte> text, string what)
    {
        if (!Utf8.IsValid(text))
        {
            throw new InvalidDataException($"A {what} is not valid UTF-8.");
        }
    }

    private Utf8Ref Format(long value)
    {
        Utf8Formatter.TryFormat(value, arena.Reserve(20), out var written);
        return arena.Commit(written);
    }

    private Utf8Ref Format(double value)
    {
        value.TryFormat(arena.Reserve(32), out var written, "R", CultureInfo.InvariantCulture);
        return arena.Commit(written);
    }

    private Utf8Ref RenderJson(int field, ReadOnlySpan<byte> message)
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

        WriteJsonContainer(_writer, field, message, depth: 1);
        _writer.Flush();
        return arena.Add(_json.WrittenSpan);
    }

    private static void WriteJsonContainer(Utf8JsonWriter writer, int field, ReadOnlySpan<byte> message, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException($"An attribute value is nested deeper than {MaxDepth} levels.");
        }

        var reader = new ProtoReader(message);
        if (field == 5)
        {
            writer.WriteStartArray();
            while (reader.TryReadTag(out var f, out var wire))
            {
                if (f == 1 && wire == WireType.LengthDelimited)
                {
                    WriteJsonValue(writer, reader.ReadLengthDelimited(), depth);
                }
                else
                {
                    reader.Skip(wire);
                }
            }

            writer.WriteEndArray();
            return;
        }

        writer.WriteStartObject();
        while (reader.TryReadTag(out var f, out var wire))
        {
            if (f != 1 || wire != WireType.LengthDelimited)
            {
                reader.Skip(wire);
                continue;
            }

            var pair = new ProtoReader(reader.ReadLengthDelimited());
            var key = ReadOnlySpan<byte>.Empty;
            var value = ReadOnlySpan<byte>.Empty;
            while (pair.TryReadTag(out var pf, out var pw))
            {
                if (pf == 1 && pw == WireType.LengthDelimited)
                {
                    key = pair.ReadLengthDelimited();
                }
                else if (pf == 2 && pw == WireType.LengthDelimited)
                {
                    value = pair.ReadLengthDelimited();
                }
                else
                {
                    pair.Skip(pw);
                }
            }

            RequireUtf8(key, "attribute key");
            writer.WritePropertyName(key);
            WriteJsonValue(writer, value, depth);
        }

        writer.WriteEndObject();
    }

    private static void WriteJsonValue(Utf8JsonWriter writer, ReadOnlySpan<byte> anyValue, int depth)
    {
        var reader = new ProtoReader(anyValue);
        var wrote = false;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (1, WireType.LengthDelimited):
                    var text = reader.ReadLengthDelimited();
                    RequireUtf8(text, "string value");
                    writer.WriteStringValue(text);
                    wrote = true;
                    break;
                case (2, WireType.Varint):
                    writer.WriteBooleanValue(reader.ReadVarint() != 0);
                    wrote = true;
                    break;
                case (3, WireType.Varint):
                    writer.WriteNumberValue((long)reader.ReadVarint());
                    wrote = true;
                    break;
                case (4, WireType.Fixed64):
                    var number = reader.ReadDouble();
                    if (double.IsFinite(number))
                    {
                        writer.WriteNumberValue(number);
                    }
                    else
                    {
                        writer.WriteStringValue(number.ToString(CultureInfo.InvariantCulture));
                    }

                    wrote = true;
                    break;
                case (5 or 6, WireType.LengthDelimited):
                    WriteJsonContainer(writer, field, reader.ReadLengthDelimited(), depth + 1);
                    wrote = true;
                    break;
                case (7, WireType.LengthDelimited):
                    writer.WriteBase64StringValue(reader.ReadLengthDelimited());
                    wrote = true;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        if (!wrote)
        {
            writer.WriteNullValue();
        }
    }
}
