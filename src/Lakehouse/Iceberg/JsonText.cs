using System.Buffers;
using System.Text;
using System.Text.Json;

namespace IceGate.Lakehouse.Iceberg;

/// <summary>Small helpers for writing JSON with <see cref="Utf8JsonWriter"/>.</summary>
public static class JsonText
{
    /// <summary>Runs <paramref name="write"/> and returns the JSON as a string.</summary>
    public static string Write(Action<Utf8JsonWriter> write) => Encoding.UTF8.GetString(WriteUtf8(write, indented: false));

    /// <summary>Runs <paramref name="write"/> and returns the JSON as UTF-8.</summary>
    public static byte[] WriteUtf8(Action<Utf8JsonWriter> write, bool indented)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A JSON object whose properties <paramref name="writeProperties"/> writes, as UTF-8.</summary>
    public static byte[] WriteObject(Action<Utf8JsonWriter> writeProperties) => WriteUtf8(
        writer =>
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        },
        indented: false);
}
