using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace IceGate.Server.Tests;

/// <summary>The OpenTelemetry .NET SDK's own OTLP exporter sending to the real binary.</summary>
public sealed class OtlpClientTests : IDisposable
{
    private const string SourceName = "IceGate.Tests";
    private static readonly ActivitySource s_source = new(SourceName);
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-otlp-").FullName;
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == SourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public OtlpClientTests() => ActivitySource.AddActivityListener(_listener);

    public void Dispose()
    {
        _listener.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    [InlineData(OtlpExportProtocol.Grpc)]
    public async Task Logs_from_the_dotnet_sdk_arrive_in_the_wal_with_ids_attributes_severity_and_times(OtlpExportProtocol protocol)
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        var sentAt = DateTime.UtcNow;
        var traceIds = new List<string>();
        using (var loggers = LoggerFactory.Create(builder => builder.AddOpenTelemetry(otel =>
        {
            otel.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("checkout", serviceVersion: "1.2.3").AddAttributes([new("deployment.environment.name", "test")]));
            otel.IncludeFormattedMessage = true;
            otel.AddOtlpExporter((exporter, processor) =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = protocol == OtlpExportProtocol.Grpc ? icegate.OtlpGrpcUrl : new Uri(icegate.OtlpHttpUrl, "/v1/logs");
                processor.ExportProcessorType = ExportProcessorType.Simple;
            });
        })))
        {
            var logger = loggers.CreateLogger("Checkout.Orders");
            for (var i = 0; i < 20; i++)
            {
                using var activity = s_source.StartActivity("order")!;
                traceIds.Add(activity.TraceId.ToHexString());
                if (i % 5 == 0)
                {
                    logger.LogError("Order {OrderId} failed after {Attempts} attempts", i, 3);
                }
                else
                {
                    logger.LogInformation("Order {OrderId} placed for {Amount}", i, 9.5 + i);
                }
            }
        }

        // The simple processor exports synchronously and waits for the answer: every record was acknowledged.
        var rows = WalContents.Query(icegate.WalDirectory("logs"), """
            SELECT tenant_id, service_name, trace_id, span_id, severity_number, severity_text, body,
                   log_attributes['OrderId'], resource_attributes['deployment.environment.name'], resource_attributes['service.version'],
                   scope_name, epoch_us(timestamp), epoch_us(ingested_timestamp)
            FROM wal ORDER BY epoch_us(timestamp)
            """);
        Assert.Equal(20, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            Assert.Equal("default", row[0]);
            Assert.Equal("checkout", row[1]);
            Assert.Equal(traceIds[i], row[2]);
            Assert.Equal(16, ((string)row[3]!).Length);
            Assert.Equal(i % 5 == 0 ? 17 : 9, row[4]);
            Assert.Equal(i % 5 == 0 ? "Error" : "Information", row[5]);
            Assert.Equal(i % 5 == 0 ? $"Order {i} failed after 3 attempts" : $"Order {i} placed for {9.5 + i}", row[6]);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), row[7]);
            Assert.Equal("test", row[8]);
            Assert.Equal("1.2.3", row[9]);
            Assert.Equal("Checkout.Orders", row[10]);
            var timestamp = DateTime.UnixEpoch.AddTicks((long)row[11]! * 10);
            Assert.InRange(timestamp, sentAt.AddSeconds(-5), DateTime.UtcNow.AddSeconds(5));
            Assert.True((long)row[12]! >= (long)row[11]!);
        }
    }

    [Theory]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    [InlineData(OtlpExportProtocol.Grpc)]
    public async Task Traces_from_the_dotnet_sdk_arrive_in_the_wal_with_parents_events_links_and_status(OtlpExportProtocol protocol)
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        const string sourceName = "IceGate.Tests.Traces";
        using var source = new ActivitySource(sourceName);
        string traceId, rootId, childId;
        using (var tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("payments"))
            .AddSource(sourceName)
            .AddOtlpExporter(exporter =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = protocol == OtlpExportProtocol.Grpc ? icegate.OtlpGrpcUrl : new Uri(icegate.OtlpHttpUrl, "/v1/traces");
                exporter.ExportProcessorType = ExportProcessorType.Simple;
            })
            .Build())
        {
            using (var charge = source.StartActivity("charge", ActivityKind.Server)!)
            {
                charge.SetTag("http.route", "/charge");
                charge.SetTag("retries", 2);
                traceId = charge.TraceId.ToHexString();
                rootId = charge.SpanId.ToHexString();
                var linked = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
                using (var authorize = source.StartActivity("card.authorize", ActivityKind.Client, charge.Context, links: [new ActivityLink(linked, new ActivityTagsCollection { ["why"] = "batch" })])!)
                {
                    childId = authorize.SpanId.ToHexString();
                    authorize.AddEvent(new ActivityEvent("declined", tags: new ActivityTagsCollection { ["code"] = "51" }));
                    authorize.SetStatus(ActivityStatusCode.Error, "card declined");
                }
            }
        }

        var rows = WalContents.Query(icegate.WalDirectory("spans"), """
            SELECT name, trace_id, span_id, parent_span_id, kind, status_code, status_message, service_name,
                   span_attributes['http.route'], span_attributes['retries'], len(events), events[1].name, events[1].attributes['code'],
                   len(links), links[1].attributes['why'], duration >= 0, end_timestamp >= timestamp
            FROM wal ORDER BY name
            """);
        Assert.Equal(2, rows.Count);
        var (child, root) = (rows[0], rows[1]);
        Assert.Equal(["card.authorize", traceId, childId, rootId, "client", "error", "card declined", "payments"], child[..8]);
        Assert.Equal([1L, "declined", "51", 1L, "batch", true, true], child[10..]);
        Assert.Equal(["charge", traceId, rootId, null, "server", "unset", null, "payments", "/charge", "2"], root[..10]);
        Assert.Null(root[10]);
    }

    [Theory]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    [InlineData(OtlpExportProtocol.Grpc)]
    public async Task Metrics_from_the_dotnet_sdk_arrive_as_one_row_per_data_point(OtlpExportProtocol protocol)
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        var meterName = $"IceGate.Tests.Metrics.{protocol}";
        using var meter = new Meter(meterName);
        var requests = meter.CreateCounter<long>("http.requests", unit: "{request}", description: "Requests served");
        var latency = meter.CreateHistogram<double>("http.latency", unit: "ms");
        var sizes = meter.CreateHistogram<double>("payload.size", unit: "By");
        meter.CreateObservableGauge("queue.depth", () => new Measurement<long>(7, new KeyValuePair<string, object?>("queue", "orders")));
        using (Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("gateway"))
            .AddMeter(meterName)
            .AddView("payload.size", new Base2ExponentialBucketHistogramConfiguration())
            .AddView("http.latency", new ExplicitBucketHistogramConfiguration { Boundaries = [10, 100, 1000] })
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = protocol == OtlpExportProtocol.Grpc ? icegate.OtlpGrpcUrl : new Uri(icegate.OtlpHttpUrl, "/v1/metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 60_000;
            })
            .Build())
        {
            requests.Add(3, new KeyValuePair<string, object?>("route", "/a"));
            requests.Add(4, new KeyValuePair<string, object?>("route", "/b"));
            foreach (var value in new[] { 5.0, 50, 500, 5000 })
            {
                latency.Record(value);
                sizes.Record(value * 10);
            }

            // Disposing the provider collects and exports once more, and waits for the answer.
        }

        var rows = WalContents.Query(icegate.WalDirectory("metrics"), """
            SELECT metric_name, metric_type, unit, attributes, value_int, value_double, is_monotonic, aggregation_temporality,
                   count, sum, min, max, bucket_counts, explicit_bounds, scale, positive_bucket_counts, service_name, description
            FROM wal ORDER BY metric_name, attributes['route']
            """);
        var byName = rows.GroupBy(r => (string)r[0]!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(["http.latency", "http.requests", "payload.size", "queue.depth"], byName.Keys.Order());
        Assert.All(rows, r => Assert.Equal("gateway", r[16]));

        var counters = byName["http.requests"];
        Assert.Equal(2, counters.Count);
        Assert.Equal(["sum", "{request}", 3L, true, 2], new[] { counters[0][1], counters[0][2], counters[0][4], counters[0][6], counters[0][7] });
        Assert.Equal(4L, counters[1][4]);
        Assert.Equal("Requests served", counters[0][17]);

        var histogram = Assert.Single(byName["http.latency"]);
        Assert.Equal("histogram", histogram[1]);
        Assert.Equal((4L, 5555.0, 5.0, 5000.0), ((long)histogram[8]!, (double)histogram[9]!, (double)histogram[10]!, (double)histogram[11]!));
        Assert.Equal(new List<object?> { 1L, 1L, 1L, 1L }, histogram[12]);
        Assert.Equal(new List<object?> { 10.0, 100.0, 1000.0 }, histogram[13]);

        var exponential = Assert.Single(byName["payload.size"]);
        Assert.Equal("exponential_histogram", exponential[1]);
        Assert.Equal(4L, exponential[8]);
        Assert.NotNull(exponential[14]);
        Assert.Equal(4L, ((List<object?>)exponential[15]!).Sum(c => (long)c!));

        var gauge = Assert.Single(byName["queue.depth"]);
        Assert.Equal(["gauge", 7L], new[] { gauge[1], gauge[4] });
        Assert.Equal("orders", ((Dictionary<object, object?>)gauge[3]!)["queue"]);
    }

    [Fact]
    public async Task On_s3_an_acknowledged_request_is_a_wal_segment_in_the_bucket()
    {
        var environment = IceGateProcess.S3Environment();
        await using var icegate = IceGateProcess.Start(_directory, environment, "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        var sent = IceGate.Catalog.WalKeys.NowMicros();
        using (var http = new HttpClient())
        {
            var content = new ByteArrayContent(IceGate.Tests.Proto.Logs("s3-service", "stored in s3", "and this"));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-protobuf");
            using var response = await http.PostAsync(new Uri(icegate.OtlpHttpUrl, "/v1/logs"), content, TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        using var s3 = IceGateProcess.S3Store(environment);
        var segment = Assert.Single((await s3.ListAsync("wal/logs/", cancellationToken: TestContext.Current.CancellationToken)).Objects);
        Assert.True(IceGate.Catalog.WalKeys.TryParseOffset(segment.Key, out var offset) && segment.Key == IceGate.Catalog.WalKeys.SegmentKey("logs", offset), segment.Key);
        Assert.InRange(offset, sent, IceGate.Catalog.WalKeys.NowMicros());
        var local = Path.Combine(_directory, "downloaded");
        Directory.CreateDirectory(local);
        await File.WriteAllBytesAsync(Path.Combine(local, "segment.parquet"), (await s3.GetAsync(segment.Key, cancellationToken: TestContext.Current.CancellationToken))!.Content.ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal(["and this", "stored in s3"], WalContents.Query(local, "SELECT body FROM wal ORDER BY body").Select(r => r[0]));
    }
}
