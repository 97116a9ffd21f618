using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using IceGate.Lakehouse.DuckDB;

namespace IceGate.QueryApi;

/// <summary>
/// Streams a query's rows in the requested format, flushing to the client every
/// <see cref="FlushBytes"/> bytes so that memory stays flat however many rows there are.
/// Timestamps are ISO 8601 in UTC; maps, structs and lists are JSON (in CSV, JSON text).
/// </summary>
internal sealed class ResultWriter
{
    private const int FlushBytes = 64 * 1024;

    private readonly ArrayBufferWriter<byte> _buffer = new(FlushBytes * 2);
    private readonly Stream _output;
    private readonly Utf8JsonWriter _json;
    private readonly ArrayBufferWriter<byte> _scratch = new();
    private readonly Utf8JsonWriter _scratchJson;

    public ResultWriter(Stream output)
    {
        _output = output;
        _json = new Utf8JsonWriter(_buffer, JsonOptions);
        _scratchJson = new Utf8JsonWriter(_scratch, JsonOptions);
    }

    /// <summary>How results and errors are written: text as it is (the output is not HTML), nothing checked twice.</summary>
    internal static JsonWriterOptions JsonOptions { get; } = new() { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The content type of a format.</summary>
    public static string ContentType(ResultFormat format) => format switch
    {
        ResultFormat.Json or ResultFormat.Objects => "application/json",
        ResultFormat.Ndjson => "application/x-ndjson",
        ResultFormat.Csv => "text/csv; charset=utf-8",
        ResultFormat.Arrow => ArrowResultWriter.ContentType,
        _ => "application/vnd.apache.parquet",
    };

    /// <summary>Writes the rows the reader has left (its first row already read: <paramref name="hasRow"/>), at most <paramref name="limit"/>.</summary>
    public async Task WriteAsync(DuckDBDataReader reader, bool hasRow, ResultFormat format, int limit, QueryCounters counters, System.Diagnostics.Stopwatch clock, CancellationToken cancellationToken)
    {
        var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        var values = new object[reader.FieldCount];
        if (format == ResultFormat.Json)
        {
            _json.WriteStartObject();
            _json.WriteStartArray("columns");
            for (var i = 0; i < names.Length; i++)
            {
                _json.WriteStartObject();
                _json.WriteString("name", names[i]);
                _json.WriteString("type", reader.GetDataTypeName(i));
                _json.WriteEndObject();
            }

            _json.WriteEndArray();
            _json.WriteStartArray("rows");
        }
        else if (format == ResultFormat.Csv)
        {
            WriteCsvLine(names);
        }
        else if (format == ResultFormat.Objects)
        {
            _json.WriteStartArray();
        }

        long rows = 0;
        for (; hasRow; hasRow = reader.Read())
        {
            if (rows == limit)
            {
                counters.Truncated = true;
                break;
            }

            reader.GetValues(values);
            switch (format)
            {
                case ResultFormat.Json:
                    _json.WriteStartArray();
                    foreach (var value in values)
                    {
                        WriteJson(_json, value);
                    }

                    _json.WriteEndArray();
                    break;
                case ResultFormat.Objects:
                    WriteObject(names, values);
                    break;
                case ResultFormat.Ndjson:
                    WriteObject(names, values);
                    _json.Flush();
                    _buffer.Write("\n"u8);

                    // Lines are separate JSON texts: no separator between them.
                    _json.Reset(_buffer);
                    break;
                default:
                    WriteCsvLine(values.Select(CsvText));
                    break;
            }

            rows++;
            if (_buffer.WrittenCount + _json.BytesPending >= FlushBytes)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        counters.Rows = rows;
        if (format == ResultFormat.Json)
        {
            _json.WriteEndArray();
            _json.WriteBoolean("truncated", counters.Truncated);
            _json.WritePropertyName("stats");
            WriteStats(_json, counters, clock.ElapsedMilliseconds);
            _json.WriteEndObject();
        }
        else if (format == ResultFormat.Objects)
        {
            _json.WriteEndArray();
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void WriteObject(string[] names, object[] values)
    {
        _json.WriteStartObject();
        for (var i = 0; i < values.Length; i++)
        {
            _json.WritePropertyName(names[i]);
            WriteJson(_json, values[i]);
        }

        _json.WriteEndObject();
    }

    /// <summary>The stats object that comes with every result (in the JSON body or the <c>X-IceGate-Stats</c> header).</summary>
    public static void WriteStats(Utf8JsonWriter json, QueryCounters counters, long elapsedMs)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        if (counters.SnapshotId is { } snapshot)
        {
            json.WriteNumber("snapshotId", snapshot);
        }

        json.WriteNumber("filesConsidered", counters.FilesConsidered);
        json.WriteNumber("filesPruned", counters.FilesPruned);
        json.WriteNumber("filesSkippedByIndex", counters.FilesSkippedByIndex);
        json.WriteNumber("filesScanned", counters.FilesScanned);
        json.WriteNumber("walSegments", counters.WalSegments);
        json.WriteNumber("objectsFetched", counters.ObjectsFetched);
        json.WriteNumber("bytesFetched", counters.BytesFetched);
        json.WriteNumber("cacheHits", counters.CacheHits);
        json.WriteNumber("rows", counters.Rows);
        json.WriteBoolean("truncated", counters.Truncated);
        json.WriteNumber("elapsedMs", elapsedMs);
        json.WriteEndObject();
    }

    /// <summary>An error body: <c>{"error":"…"}</c>.</summary>
    public static byte[] ErrorJson(string message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("error", message);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The stats as a one-line JSON text.</summary>
    public static string StatsText(QueryCounters counters, long elapsedMs)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            WriteStats(json, counters, elapsedMs);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        // Once flushed the writer has handed over every byte, and it keeps its place in the document.
        _json.Flush();
        await _output.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _buffer.ResetWrittenCount();
    }

    private static void WriteJson(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null or DBNull:
                json.WriteNullValue();
                break;
            case string text:
                json.WriteStringValue(text);
                break;
            case bool flag:
                json.WriteBooleanValue(flag);
                break;
            case double number when !double.IsFinite(number):
                json.WriteStringValue(number.ToString(CultureInfo.InvariantCulture));
                break;
            case float number when !float.IsFinite(number):
                json.WriteStringValue(number.ToString(CultureInfo.InvariantCulture));
                break;
            case sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal or Int128 or UInt128:
                json.WriteRawValue(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture), skipInputValidation: true);
                break;
            case byte[] bytes:
                json.WriteBase64StringValue(bytes);
                break;
            case IDictionary map:
                json.WriteStartObject();
                foreach (DictionaryEntry entry in map)
                {
                    json.WritePropertyName(ScalarText(entry.Key));
                    WriteJson(json, entry.Value);
                }

                json.WriteEndObject();
                break;
            case IEnumerable items:
                json.WriteStartArray();
                foreach (var item in items)
                {
                    WriteJson(json, item);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(ScalarText(value));
                break;
        }
    }

    private static string ScalarText(object value) => value switch
    {
        DateTime time => time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly time => time.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private string CsvText(object? value)
    {
        switch (value)
        {
            case null or DBNull:
                return string.Empty;
            case bool flag:
                return flag ? "true" : "false";
            case string or DateTime or DateTimeOffset or DateOnly or TimeOnly or IFormattable:
                return ScalarText(value);
            default:
                // Nested values as JSON text, through one scratch writer for the whole result.
                _scratch.ResetWrittenCount();
                _scratchJson.Reset(_scratch);
                WriteJson(_scratchJson, value);
                _scratchJson.Flush();
                return Encoding.UTF8.GetString(_scratch.WrittenSpan);
        }
    }

    private void WriteCsvLine(IEnumerable<string> fields)
    {
        var first = true;
        foreach (var field in fields)
        {
            if (!first)
            {
                _buffer.Write(","u8);
            }

            first = false;
            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                WriteText("\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"");
            }
            else
            {
                WriteText(field);
            }
        }

        _buffer.Write("\r\n"u8);
    }

    private void WriteText(string text)
    {
        var span = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        _buffer.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
