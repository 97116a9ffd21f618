using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using IceGate.Ingest.Otlp;

namespace IceGate.Ingest.Receivers;

/// <summary>
/// Binds the OTLP collector services' <c>Export</c> methods by hand, as generated code would, but
/// with <see cref="GrpcPayload"/> for the request: the message stays the raw protobuf bytes the
/// zero-copy decoders read, never a Google.Protobuf object graph.
/// </summary>
internal sealed class OtlpGrpcMethods : IServiceMethodProvider<OtlpGrpcService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<OtlpGrpcService> context)
    {
        foreach (var (signal, _, path) in OtlpDecoder.Signals)
        {
            // "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
            var slash = path.LastIndexOf('/');
            var method = new Method<GrpcPayload, GrpcReply>(MethodType.Unary, path[1..slash], path[(slash + 1)..], GrpcPayload.Marshaller, GrpcReply.Marshaller);
            context.AddUnaryMethod(method, [], (service, request, call) => service.ExportAsync(signal, request, call));
        }
    }
}
