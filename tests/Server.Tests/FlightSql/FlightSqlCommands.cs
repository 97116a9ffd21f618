using Google.Protobuf;
using IceGate.Tests;

namespace IceGate.Server.Tests.FlightSql;

/// <summary>
/// Flight SQL commands and action bodies encoded by hand from apache/arrow format/FlightSql.proto
/// (message names and field numbers), packed in google.protobuf.Any as the spec says: a second
/// transcription, independent of the one the server is generated from.
/// </summary>
internal static class FlightSqlCommands
{
    public static byte[] Statement(string sql) => Any("CommandStatementQuery", new Proto().String(1, sql));

    public static byte[] PreparedStatement(byte[] handle) => Any("CommandPreparedStatementQuery", new Proto().Bytes(1, handle));

    public static byte[] GetCatalogs() => Any("CommandGetCatalogs", []);

    public static byte[] GetDbSchemas() => Any("CommandGetDbSchemas", []);

    public static byte[] GetTableTypes() => Any("CommandGetTableTypes", []);

    public static byte[] GetTables(string? tableNamePattern, bool includeSchema)
    {
        var command = new Proto();
        if (tableNamePattern is not null)
        {
            command.String(3, tableNamePattern);
        }

        return Any("CommandGetTables", includeSchema ? command.Varint(5, 1) : command);
    }

    public static byte[] GetSqlInfo(params uint[] info)
    {
        var command = new Proto();
        foreach (var code in info)
        {
            command.Varint(1, code);
        }

        return Any("CommandGetSqlInfo", command);
    }

    /// <summary>A command IceGate does not serve (an update).</summary>
    public static byte[] StatementUpdate(string sql) => Any("CommandStatementUpdate", new Proto().String(1, sql));

    public static byte[] CreatePreparedStatement(string sql) => Any("ActionCreatePreparedStatementRequest", new Proto().String(1, sql));

    public static byte[] ClosePreparedStatement(byte[] handle) => Any("ActionClosePreparedStatementRequest", new Proto().Bytes(1, handle));

    /// <summary>The fields of a message, by number (length-delimited ones only).</summary>
    public static Dictionary<int, byte[]> Fields(byte[] message)
    {
        var fields = new Dictionary<int, byte[]>();
        var input = new CodedInputStream(message);
        while (input.ReadTag() is var tag and not 0)
        {
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                fields[WireFormat.GetTagFieldNumber(tag)] = input.ReadBytes().ToByteArray();
            }
            else
            {
                input.SkipLastField();
            }
        }

        return fields;
    }

    /// <summary>The message inside an Any, checked to be of <paramref name="message"/>.</summary>
    public static byte[] Unpack(byte[] any, string message)
    {
        var fields = Fields(any);
        Assert.Equal(TypeUrl(message), System.Text.Encoding.UTF8.GetString(fields[1]));
        return fields.GetValueOrDefault(2, []);
    }

    private static byte[] Any(string message, byte[] value) => new Proto().String(1, TypeUrl(message)).Bytes(2, value);

    private static string TypeUrl(string message) => $"type.googleapis.com/arrow.flight.protocol.sql.{message}";
}
