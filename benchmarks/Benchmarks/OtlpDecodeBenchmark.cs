using BenchmarkDotNet.Attributes;
using IceGate.Ingest.Otlp;
using IceGate.Tests;

namespace IceGate.Benchmarks;

/// <summary>
/// Decoding one OTLP/HTTP log request of 1,000 records, each with 0, 10 or 30 attributes (strings,
/// ints, doubles, booleans), a body and ids, into a batch. Allocation per request is the same
/// whatever the number of attributes: their text goes to a pooled arena, never to objects.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[ShortRunJob]
public class OtlpDecodeBenchmark
{
    private byte[] _request = null!;

    [Params(0, 10, 30)]
    public int Attributes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var scope = new Proto().Message(1, new Proto().String(1, "io.opentelemetry.dotnet"));
        var random = new Random(1);
        for (var i = 0; i < 1000; i++)
        {
            var record = new Proto()
                .Fixed64(1, 1_700_000_000_000_000_000UL + (ulong)i)
                .Varint(2, 9)
                .String(3, "INFO")
                .Message(5, new Proto().String(1, $"GET /api/orders/{random.Next(100000)} handled in {random.Next(2000)} ms with status 200; request {Guid.NewGuid():N}"))
                .Bytes(9, Guid.NewGuid().ToByteArray())
                .Bytes(10, BitConverter.GetBytes(random.NextInt64()));
            for (var a = 0; a < Attributes; a++)
            {
                byte[] value = (a % 4) switch
                {
                    0 => new Proto().String(1, $"value-{random.Next(1000)}"),
                    1 => new Proto().Varint(3, (ulong)random.Next(1000)),
                    2 => new Proto().Fixed64(4, BitConverter.DoubleToUInt64Bits(random.NextDouble())),
                    _ => new Proto().Varint(2, 1),
                };
                record.Message(6, Proto.KeyValue($"attribute.{a}", value));
            }

            scope.Message(2, record);
        }

        _request = new Proto().Message(1, new Proto()
            .Message(1, new Proto().Message(1, Proto.KeyValue("service.name", new Proto().String(1, "checkout"))))
            .Message(2, scope));
    }

    [Benchmark(Description = "decode 1,000 log records")]
    public int Decode()
    {
        using var batch = OtlpLogsDecoder.Decode(_request, "tenant", 0);
        return batch.RecordCount;
    }
}
