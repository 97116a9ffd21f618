using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using IceGate.Tests;

namespace IceGate.Server.Tests;

/// <summary>OTLP/gRPC and grpc.health.v1 through a real gRPC client (Grpc.Net.Client) with the OTLP messages as raw protobuf.</summary>
public sealed class GrpcTests : IDisposable
{
    private static readonly Marshaller<byte[]> s_bytes = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> s_exportLogs = new(MethodType.Unary, "opentelemetry.proto.collector.logs.v1.LogsService", "Export", s_bytes, s_bytes);
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-grpc-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_gzip_compressed_export_is_acknowledged_and_lands_in_the_wal()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using var channel = GrpcChannel.ForAddress(icegate.OtlpGrpcUrl);

        // The client library compresses the message when asked for an encoding on the call.
        var reply = await channel.CreateCallInvoker().AsyncUnaryCall(s_exportLogs, null, new CallOptions(new Metadata { { "grpc-internal-encoding-request", "gzip" } }), Proto.Logs("grpc", "sent gzipped"));
        Assert.Empty(reply);
        Assert.Equal(["sent gzipped"], WalContents.Query(icegate.WalDirectory("logs"), "SELECT body FROM wal").Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task The_opentelemetry_javascript_grpc_exporter_sends_logs_that_land_in_the_wal()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        NodeScripts.Run("send_logs_grpc.mjs", NodeScripts.OtlpGrpcLogExporter, icegate.OtlpGrpcUrl.ToString(), "sent by the javascript exporter");
        Assert.Equal(["sent by the javascript exporter"], WalContents.Query(icegate.WalDirectory("logs"), "SELECT body FROM wal").Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task A_message_over_the_body_limit_is_resource_exhausted_and_nothing_is_stored()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: ["serve", "--Ingest:MaxBodyBytes=100000"]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using var channel = GrpcChannel.ForAddress(icegate.OtlpGrpcUrl);
        var call = channel.CreateCallInvoker().AsyncUnaryCall(s_exportLogs, null, default, Proto.Logs("grpc", new string('x', 200_000)));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);

        var small = await channel.CreateCallInvoker().AsyncUnaryCall(s_exportLogs, null, default, Proto.Logs("grpc", "small enough"));
        Assert.Equal(["small enough"], WalContents.Query(icegate.WalDirectory("logs"), "SELECT body FROM wal").Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task A_call_whose_deadline_passes_before_the_wal_is_durable_gets_deadline_exceeded()
    {
        // Every WAL group waits three seconds for company before it is written.
        await using var icegate = IceGateProcess.Start(_directory, arguments: ["serve", "--Ingest:Wal:GroupWindow=00:00:03"]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using var channel = GrpcChannel.ForAddress(icegate.OtlpGrpcUrl);
        var call = channel.CreateCallInvoker().AsyncUnaryCall(s_exportLogs, null, new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(500)), Proto.Logs("grpc", "too slow"));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);

        var patient = await channel.CreateCallInvoker().AsyncUnaryCall(s_exportLogs, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20)), Proto.Logs("grpc", "in time"));
        Assert.Empty(patient);
    }

    [Fact]
    public async Task The_health_service_serves_while_the_store_answers_and_not_once_it_is_cut_off()
    {
        var environment = IceGateProcess.S3Environment();
        await using var relay = new TcpRelay(new Uri(environment["ICEGATE_STORE__S3__ENDPOINT"]));
        environment["ICEGATE_STORE__S3__ENDPOINT"] = relay.Url.ToString();
        environment["ICEGATE_STORE__RETRY__MAXATTEMPTS"] = "1";
        await using var icegate = IceGateProcess.Start(_directory, environment, "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using var channel = GrpcChannel.ForAddress(icegate.OtlpGrpcUrl);
        var health = new Health.HealthClient(channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken)).Status);

        await relay.CutAsync();
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken)).Status);
    }
}
