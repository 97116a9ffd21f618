using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
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
}
