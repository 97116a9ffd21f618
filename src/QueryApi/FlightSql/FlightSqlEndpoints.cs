using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace IceGate.QueryApi.FlightSql;

/// <summary>What the Flight SQL service shares with the SQL API.</summary>
/// <param name="Query">The query settings: limits, timeout, the largest result.</param>
/// <param name="DefaultTenant">The tenant of calls that name none.</param>
/// <param name="Version">IceGate's version, as SqlInfo reports it.</param>
public sealed record FlightSqlSettings(QueryOptions Query, string DefaultTenant, string Version);

/// <summary>Arrow Flight SQL (<see cref="FlightSqlService"/>) on the gRPC server, on its own listener.</summary>
public static class FlightSqlEndpoints
{
    /// <summary>Registers the service; the query engine and metrics come from the container.</summary>
    public static IServiceCollection AddFlightSql(this IServiceCollection services, FlightSqlSettings settings)
    {
        services.AddSingleton(settings);
        services.AddSingleton<FlightSqlStatements>();
        services.AddGrpc().AddFlightServer<FlightSqlService>();
        return services;
    }

    /// <summary>Maps Flight's gRPC methods; <paramref name="host"/> restricts them to the Flight SQL listener.</summary>
    public static void MapFlightSql(this IEndpointRouteBuilder app, string host) => app.MapFlightEndpoint().RequireHost(host);
}
