using IceGate.Ingest.Otlp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace IceGate.Ingest.Receivers;

/// <summary>
/// OTLP/gRPC (port 4317, HTTP/2 cleartext) on Grpc.AspNetCore: framing, gzip messages, the message
/// size limit, deadlines, trailers and unknown methods are the library's; the three unary
/// <c>Export</c> methods are bound by <see cref="OtlpGrpcMethods"/> with marshallers that hand
/// the raw payload to our decoders.
/// </summary>
public static class OtlpGrpcEndpoints
{
    /// <summary>Registers the gRPC server with a message size limit of <see cref="IngestOptions.MaxBodyBytes"/>.</summary>
    public static IServiceCollection AddOtlpGrpc(this IServiceCollection services, IngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = (int)Math.Min(int.MaxValue, options.MaxBodyBytes);
            grpc.EnableDetailedErrors = false;
            grpc.CompressionProviders = [new GzipMessageCompression()];
        });
        services.AddSingleton<OtlpGrpcService>();
        services.AddSingleton<Grpc.AspNetCore.Server.Model.IServiceMethodProvider<OtlpGrpcService>, OtlpGrpcMethods>();
        return services;
    }

    /// <summary>Maps the methods; <paramref name="host"/> restricts them to the gRPC listener.</summary>
    public static void MapOtlpGrpc(this IEndpointRouteBuilder app, string host)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<OtlpGrpcService>().RequireHost(host);
    }
}
