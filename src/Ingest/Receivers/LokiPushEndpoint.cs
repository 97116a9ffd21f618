using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using IceGate.Catalog;
using IceGate.Ingest.Otlp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IceGate.Ingest.Receivers;

/// <summary>
/// <c>POST /loki/api/v1/push</c>: what Promtail, Grafana Alloy and Loki client libraries send.
/// Snappy-compressed (block format) protobuf <c>PushRequest</c> or JSON (optionally gzipped). The
/// push becomes an OTLP logs request and takes the OTLP path into the same WAL and logs table:
/// stream labels become resource attributes (the service from <c>service_name</c>, else the first
/// of Loki's service labels, else <c>unknown_service</c>; <c>level</c> becomes the severity),
/// structured metadata becomes log attributes. Answers 204 once durable, like Loki.
/// </summary>
public static partial class LokiPushEndpoint
{
    /// <summary>The labels Loki takes a service name from when there is no <c>service_name</c>, in order.</summary>
    private static readonly string[] s_serviceLabels = ["service", "app", "application", "name", "app_kubernetes_io_name", "container", "container_name", "component", "workload", "job"];

    /// <summary>Maps the endpoint (on the query port, where Loki clients expect it).</summary>
    public static void MapLokiPush(this IEndpointRouteBuilder app, IngestPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(pipeline);
        app.MapPost("/loki/api/v1/push", (HttpContext context) => HandleAsync(context, pipeline)).ExcludeFromDescription();
    }

    private static async Task HandleAsync(HttpContext context, IngestPipeline pipeline)
    {
        var request = context.Request;
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is not ("application/x-protobuf" or "application/json"))
        {
            await RespondAsync(context, 415, $"Content-Type must be application/x-protobuf (snappy) or application/json, not '{request.ContentType}'.").ConfigureAwait(false);
            return;
        }

        var tenant = Tenants.Resolve(request.Headers[Tenants.Header].FirstOrDefault(), pipeline.Options.DefaultTenant, out var tenantProblem);
        if (tenant is null)
        {
            await RespondAsync(context, 400, tenantProblem!).ConfigureAwait(false);
            return;
        }

        byte[]? body = null;
        try
        {
            int length;
            (body, length) = await RequestBody.ReadAsync(context, request.Headers.ContentEncoding.FirstOrDefault(), pipeline.Options.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
            var streams = mediaType == "application/json"
                ? ParseJson(body.AsSpan(0, length))
                : ParseProtobuf(Unsnappy(body.AsSpan(0, length), pipeline.Options.MaxBodyBytes));
            var batch = OtlpLogsDecoder.Decode(ToOtlp(streams), tenant, OtlpDecoding.NowMicros());
            await pipeline.SubmitAsync(Signal.Logs, batch, length).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        catch (Exception e) when (IngestError.From(e) is { } error)
        {
            if (error.RetryAfterSeconds is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            await RespondAsync(context, error.HttpStatus, error.Message).ConfigureAwait(false);
        }
        finally
        {
            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }
    }

    private static async Task RespondAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message + "\n", context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A pushed stream: its labels and entries (time in ns, line, structured metadata).</summary>
    internal sealed record PushStream(List<KeyValuePair<string, string>> Labels, List<(long Nanos, string Line, List<KeyValuePair<string, string>> Metadata)> Entries);

    /// <summary>Undoes snappy's block format, refusing output over <paramref name="limit"/> before decoding (the length comes first).</summary>
    internal static byte[] Unsnappy(ReadOnlySpan<byte> compressed, long limit)
    {
        ulong length = 0;
        for (var i = 0; i < Math.Min(compressed.Length, 10); i++)
        {
            length |= (ulong)(compressed[i] & 0x7f) << (7 * i);
            if (compressed[i] < 0x80)
            {
                break;
            }
        }

        if (length > (ulong)limit)
        {
            throw new PayloadTooLargeException($"The body decompresses to {length} bytes; the limit is {limit}.");
        }

        try
        {
            return IronSnappy.Snappy.Decode(compressed);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"The body is not snappy-compressed protobuf (block format): {e.Message}", e);
        }
    }

    /// <summary><c>PushRequest{streams=1}</c>, <c>StreamAdapter{labels=1, entries=2}</c>, <c>EntryAdapter{timestamp=1, line=2, structuredMetadata=3}</c>.</summary>
    internal static List<PushStream> ParseProtobuf(ReadOnlySpan<byte> request)
    {
        var streams = new List<PushStream>();
        var reader = new ProtoReader(request);
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (field != 1)
            {
                reader.Skip(wire);
                continue;
            }

            reader.Expect(wire, WireType.LengthDelimited, field);
            var streamReader = new ProtoReader(reader.ReadLengthDelimited());
            var stream = new PushStream([], []);
            while (streamReader.TryReadTag(out var streamField, out var streamWire))
            {
                switch (streamField)
                {
                    case 1:
                        streamReader.Expect(streamWire, WireType.LengthDelimited, streamField);
                        stream.Labels.AddRange(ParseLabels(Encoding.UTF8.GetString(streamReader.ReadLengthDelimited())));
                        break;
                    case 2:
                        streamReader.Expect(streamWire, WireType.LengthDelimited, streamField);
                        stream.Entries.Add(ParseEntry(streamReader.ReadLengthDelimited()));
                        break;
                    default:
                        streamReader.Skip(streamWire);
                        break;
                }
            }

            streams.Add(stream);
        }

        return streams;
    }

    private static (long, string, List<KeyValuePair<string, string>>) ParseEntry(ReadOnlySpan<byte> message)
    {
        long nanos = 0;
        var line = "";
        var metadata = new List<KeyValuePair<string, string>>();
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    {
                        reader.Expect(wire, WireType.LengthDelimited, field);
                        var timestamp = new ProtoReader(reader.ReadLengthDelimited());
                        long seconds = 0, fraction = 0;
                        while (timestamp.TryReadTag(out var part, out var partWire))
                        {
                            if (part == 1 && partWire == WireType.Varint)
                            {
                                seconds = (long)timestamp.ReadVarint();
                            }
                            else if (part == 2 && partWire == WireType.Varint)
                            {
                                fraction = (long)timestamp.ReadVarint();
                            }
                            else
                            {
                                timestamp.Skip(partWire);
                            }
                        }

                        nanos = (seconds * 1_000_000_000) + fraction;
                        break;
                    }

                case 2:
                    reader.Expect(wire, WireType.LengthDelimited, field);
                    line = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                    break;
                case 3:
                    {
                        reader.Expect(wire, WireType.LengthDelimited, field);
                        var pair = new ProtoReader(reader.ReadLengthDelimited());
                        string name = "", value = "";
                        while (pair.TryReadTag(out var part, out var partWire))
                        {
                            if (part is 1 or 2)
                            {
                                pair.Expect(partWire, WireType.LengthDelimited, part);
                                var text = Encoding.UTF8.GetString(pair.ReadLengthDelimited());
                                if (part == 1)
                                {
                                    name = text;
                                }
                                else
                                {
                                    value = text;
                                }
                            }
                            else
                            {
                                pair.Skip(partWire);
                            }
                        }

                        metadata.Add(KeyValuePair.Create(name, value));
                        break;
                    }

                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return (nanos, line, metadata);
    }

    /// <summary><c>{"streams":[{"stream":{…},"values":[["&lt;ns&gt;","&lt;line&gt;",{metadata}]]}]}</c>.</summary>
    internal static List<PushStream> ParseJson(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (!document.RootElement.TryGetProperty("streams", out var streamsJson) || streamsJson.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("The push body must be {\"streams\":[…]}.");
            }

            var streams = new List<PushStream>();
            foreach (var streamJson in streamsJson.EnumerateArray())
            {
                var stream = new PushStream([], []);
                if (streamJson.TryGetProperty("stream", out var labels) && labels.ValueKind == JsonValueKind.Object)
                {
                    stream.Labels.AddRange(labels.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText())));
                }

                if (!streamJson.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Array)
                {
                    throw new InvalidDataException("Every stream needs \"values\": [[\"<unix ns>\", \"<line>\"], …].");
                }

                foreach (var entry in values.EnumerateArray())
                {
                    if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() < 2 || entry[1].ValueKind != JsonValueKind.String
                        || !long.TryParse(entry[0].ValueKind == JsonValueKind.String ? entry[0].GetString() : entry[0].GetRawText(), NumberStyles.None, CultureInfo.InvariantCulture, out var nanos))
                    {
                        throw new InvalidDataException($"A value must be [\"<unix ns>\", \"<line>\"] or [\"<unix ns>\", \"<line>\", {{metadata}}], not {entry.GetRawText()}.");
                    }

                    var metadata = entry.GetArrayLength() > 2 && entry[2].ValueKind == JsonValueKind.Object
                        ? entry[2].EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText())).ToList()
                        : [];
                    stream.Entries.Add((nanos, entry[1].GetString()!, metadata));
                }

                streams.Add(stream);
            }

            return streams;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The push body is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Parses a label string such as <c>{app="api", env="prod"}</c>.</summary>
    internal static List<KeyValuePair<string, string>> ParseLabels(string text)
    {
        var labels = new List<KeyValuePair<string, string>>();
        var i = text.IndexOf('{', StringComparison.Ordinal) + 1;
        if (i == 0)
        {
            throw new InvalidDataException($"Stream labels must look like {{name=\"value\", …}}, not '{text}'.");
        }

        while (true)
        {
            while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] == ','))
            {
                i++;
            }

            if (i < text.Length && text[i] == '}')
            {
                return labels;
            }

            var start = i;
            while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
            {
                i++;
            }

            var name = text[start..i];
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (name.Length == 0 || i + 1 >= text.Length || text[i] != '=' || text[i + 1] != '"')
            {
                throw new InvalidDataException($"Stream labels must look like {{name=\"value\", …}}, not '{text}'.");
            }

            i += 2;
            var value = new StringBuilder();
            while (i < text.Length && text[i] != '"')
            {
                if (text[i] == '\\' && i + 1 < text.Length)
                {
                    i++;
                    value.Append(text[i] switch { 'n' => '\n', 't' => '\t', var c => c });
                }
                else
                {
                    value.Append(text[i]);
                }

                i++;
            }

            if (i >= text.Length)
            {
                throw new InvalidDataException($"Stream labels have an unterminated value: '{text}'.");
            }

            i++;
            labels.Add(KeyValuePair.Create(name, value.ToString()));
        }
    }

    /// <summary>The pushed streams as an OTLP <c>ExportLogsServiceRequest</c>, one resource per stream.</summary>
    internal static byte[] ToOtlp(List<PushStream> streams)
    {
        var request = new ProtoWriter();
        var observed = (ulong)OtlpDecoding.NowMicros() * 1000;
        foreach (var stream in streams)
        {
            var labels = stream.Labels.GroupBy(l => l.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
            var service = labels.GetValueOrDefault("service_name") ?? s_serviceLabels.Select(labels.GetValueOrDefault).FirstOrDefault(v => !string.IsNullOrEmpty(v)) ?? "unknown_service";
            var level = labels.GetValueOrDefault("level") ?? labels.GetValueOrDefault("detected_level");
            var resource = new ProtoWriter().Bytes(1, KeyValue("service.name", service));
            foreach (var (name, value) in labels.Where(l => l.Key is not ("service_name" or "level" or "detected_level")))
            {
                resource.Bytes(1, KeyValue(name, value));
            }

            var scope = new ProtoWriter();
            foreach (var (nanos, line, metadata) in stream.Entries)
            {
                var record = new ProtoWriter().Fixed64(1, (ulong)nanos);
                if ((level ?? DetectLevel(line, metadata)) is { } entryLevel)
                {
                    record.Varint(2, (ulong)SeverityNumber(entryLevel)).Bytes(3, Encoding.UTF8.GetBytes(entryLevel));
                }

                record.Bytes(5, StringValue(line));
                foreach (var (name, value) in metadata)
                {
                    record.Bytes(6, KeyValue(name, value));
                }

                scope.Bytes(2, record.Fixed64(11, observed).Written);
            }

            request.Bytes(1, new ProtoWriter().Bytes(1, resource.Written).Bytes(2, scope.Written).Written);
        }

        return request.ToArray();
    }

    /// <summary>
    /// The level of a line pushed without a <c>level</c> label, as Loki detects it: from structured
    /// metadata, else from a <c>level</c>, <c>lvl</c> or <c>severity</c> key of a logfmt or JSON
    /// line. Null when neither names a known level (the line then shows <c>unknown</c>).
    /// </summary>
    internal static string? DetectLevel(string line, List<KeyValuePair<string, string>> metadata)
    {
        var candidate = metadata.FirstOrDefault(m => m.Key is "level" or "lvl" or "severity" or "detected_level").Value
            ?? (LevelField().Match(line) is { Success: true } match ? match.Groups[1].Value : null);
        return candidate is not null && SeverityNumber(candidate) > 0 ? candidate.ToLowerInvariant() : null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?:^|[\s{,])""?(?:level|lvl|severity)""?\s*[=:]\s*""?([A-Za-z]+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex LevelField();

    /// <summary>The OTLP severity number of a Loki level name (0 when it is not one).</summary>
    private static int SeverityNumber(string level) => level.ToLowerInvariant() switch
    {
        "trace" => 1,
        "debug" or "dbg" => 5,
        "info" or "information" => 9,
        "warn" or "warning" => 13,
        "error" or "err" => 17,
        "fatal" or "critical" or "crit" => 21,
        _ => 0,
    };

    private static ReadOnlySpan<byte> KeyValue(string key, string value) =>
        new ProtoWriter().Bytes(1, Encoding.UTF8.GetBytes(key)).Bytes(2, StringValue(value)).ToArray();

    private static byte[] StringValue(string value) => new ProtoWriter().Bytes(1, Encoding.UTF8.GetBytes(value)).ToArray();
}
