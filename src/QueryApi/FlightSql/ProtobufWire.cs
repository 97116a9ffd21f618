namespace IceGate.QueryApi.FlightSql;

/// <summary>A top-level field as the wire format has it: its number, wire type, and a varint's value or a length-delimited field's bytes.</summary>
internal readonly record struct WireField(ulong Number, int WireType, ulong Varint, Range Bytes);

/// <summary>The protobuf wire format, checked without a schema: tags, varints, lengths and groups.</summary>
internal static class ProtobufWire
{
    /// <summary>Why <paramref name="message"/> is not well-formed protobuf, or null if it is; <paramref name="fields"/> gets its top-level fields.</summary>
    public static string? Problem(ReadOnlySpan<byte> message, List<WireField> fields)
    {
        var groups = new Stack<ulong>();
        var position = 0;
        while (position < message.Length)
        {
            if (Varint(message, ref position) is not { } tag)
            {
                return $"a broken varint at byte {position}";
            }

            var field = tag >> 3;
            if (field is 0 or > 536_870_911)
            {
                return $"field number {field} at byte {position}";
            }

            switch (tag & 7)
            {
                case 0:
                    if (Varint(message, ref position) is not { } value)
                    {
                        return $"a broken varint at byte {position}";
                    }

                    if (groups.Count == 0)
                    {
                        fields.Add(new WireField(field, 0, value, default));
                    }

                    break;
                case 1 when message.Length - position < 8:
                case 5 when message.Length - position < 4:
                    return "a fixed-width value past the end";
                case 1:
                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                case 2:
                    if (Varint(message, ref position) is not { } length || length > (ulong)(message.Length - position))
                    {
                        return $"a length past the end at byte {position}";
                    }

                    if (groups.Count == 0)
                    {
                        fields.Add(new WireField(field, 2, 0, position..(position + (int)length)));
                    }

                    position += (int)length;
                    break;
                case 3:
                    groups.Push(field);
                    break;
                case 4 when groups.Count == 0 || groups.Pop() != field:
                    return $"an unmatched end of group {field}";
                case 4:
                    break;
                default:
                    return $"wire type {tag & 7} at byte {position}";
            }
        }

        return groups.Count > 0 ? "a group without its end" : null;
    }

    private static ulong? Varint(ReadOnlySpan<byte> message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64 && position < message.Length; shift += 7)
        {
            var b = message[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        return null;
    }
}
