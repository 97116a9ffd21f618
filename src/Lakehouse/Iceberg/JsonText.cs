using System.Buffers;
using System.Text;
using System.Text.Json;

namespace IceGate.Lakehouse.Iceberg;

internal static class JsonText
{
    public static string Write(Action<Utf8JsonWriter> write) => Encoding.UTF8.GetString(WriteUtf8(write, indented: false));

    public static byte[] WriteUtf8(Action<Utf8JsonWriter> write, bool indented)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
