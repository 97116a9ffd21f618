using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace IceGate.Server;

/// <summary>
/// The service's four listeners: the query API (HTTP/1.1 and HTTP/2), OTLP/HTTP, OTLP/gRPC and
/// Arrow Flight SQL; the gRPC ones are HTTP/2 only because without TLS Kestrel can serve
/// cleartext HTTP/2 (h2c, prior knowledge, as gRPC clients speak it) only on an HTTP/2-only endpoint.
/// </summary>
internal sealed record Listeners(IPEndPoint Query, IPEndPoint OtlpHttp, IPEndPoint OtlpGrpc, IPEndPoint FlightSql)
{
    /// <summary>Each listener with the setting that names it.</summary>
    public IReadOnlyList<(string Setting, IPEndPoint EndPoint)> All =>
        [(nameof(IceGateOptions.QueryUrl), Query), (nameof(IceGateOptions.OtlpHttpUrl), OtlpHttp), (nameof(IceGateOptions.OtlpGrpcUrl), OtlpGrpc), (nameof(IceGateOptions.FlightSqlUrl), FlightSql)];

    /// <summary>The host pattern OTLP/HTTP routes require, so they answer on their own port only.</summary>
    public string OtlpHttpHost => $"*:{OtlpHttp.Port}";

    /// <summary>The host pattern OTLP/gRPC routes require.</summary>
    public string OtlpGrpcHost => $"*:{OtlpGrpc.Port}";

    /// <summary>The host pattern Flight SQL routes require.</summary>
    public string FlightSqlHost => $"*:{FlightSql.Port}";

    /// <summary>This process's own OTLP/gRPC listener as a client reaches it (loopback when it listens on every address).</summary>
    public Uri OtlpGrpcSelf => new($"http://{(OtlpGrpc.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : OtlpGrpc.Address)}:{OtlpGrpc.Port}");

    /// <summary>Whether no listener can be reached from another machine.</summary>
    public bool AllOnLoopback => All.All(listener => IPAddress.IsLoopback(listener.EndPoint.Address));

    public static Listeners Parse(IceGateOptions options) =>
        new(EndPoint(options.QueryUrl, nameof(options.QueryUrl)), EndPoint(options.OtlpHttpUrl, nameof(options.OtlpHttpUrl)), EndPoint(options.OtlpGrpcUrl, nameof(options.OtlpGrpcUrl)), EndPoint(options.FlightSqlUrl, nameof(options.FlightSqlUrl)));

    public void Configure(KestrelServerOptions kestrel, long maxBodyBytes)
    {
        kestrel.Limits.MaxRequestBodySize = maxBodyBytes;
        kestrel.Listen(Query, o => o.Protocols = HttpProtocols.Http1AndHttp2);
        kestrel.Listen(OtlpHttp, o => o.Protocols = HttpProtocols.Http1AndHttp2);
        kestrel.Listen(OtlpGrpc, o => o.Protocols = HttpProtocols.Http2);
        kestrel.Listen(FlightSql, o => o.Protocols = HttpProtocols.Http2);
    }

    private static IPEndPoint EndPoint(string url, string setting)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Scheme != "http")
        {
            throw new InvalidOperationException($"{setting} must be an http:// URL with a port, not '{url}'.");
        }

        var address = uri.Host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(uri.Host, out var parsed) ? parsed
            : throw new InvalidOperationException($"{setting} must name an IP address, localhost or *, not '{uri.Host}'.");
        return new IPEndPoint(address, uri.Port);
    }
}
