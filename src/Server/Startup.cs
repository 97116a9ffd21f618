using System.Reflection;
using IceGate.Catalog;
using IceGate.Ingest;
using IceGate.Ingest.Receivers;
using IceGate.Lakehouse;
using IceGate.QueryApi;
using IceGate.QueryApi.FlightSql;
using IceGate.QueryApi.LogQL;
using IceGate.Server.Security;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace IceGate.Server;

/// <summary>Composes the service from its settings: the store, the catalog, ingest, workers and every endpoint.</summary>
internal static class Startup
{
    public static WebApplication Build(string? configFile, string[] flags)
    {
        var builder = WebApplication.CreateSlimBuilder();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new FileNotFoundException($"The configuration file '{configFile}' does not exist.");
            }

            builder.Configuration.AddJsonFile(configFile, optional: false);
            var unknown = ConfigurationKeys.Unknown(new ConfigurationBuilder().AddJsonFile(configFile).Build(), typeof(IceGateOptions)).ToList();
            if (unknown.Count > 0)
            {
                throw new StartupException([.. unknown.Select(key => $"{configFile} sets '{key}', which is not a setting.")]);
            }
        }

        builder.Configuration.AddEnvironmentVariables("ICEGATE_").AddCommandLine(flags);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var options = builder.Configuration.Get<IceGateOptions>() ?? new IceGateOptions();
        if (OptionsValidation.Problems(options) is { Count: > 0 } problems)
        {
            throw new StartupException(problems);
        }

        var keys = options.Auth.KeysFile is { } keysFile ? ApiKeySet.Load(keysFile) : null;
        var store = StoreComposition.Create(options);
        var listeners = Listeners.Parse(options);
        builder.WebHost.ConfigureKestrel(kestrel => listeners.Configure(kestrel, options.Ingest.MaxBodyBytes));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(listeners);
        builder.Services.AddSingleton(store);
        var catalog = new IcebergCatalog(store.Store);
        builder.Services.AddSingleton(catalog);
        builder.Services.AddHostedService<CatalogBootstrap>();
        builder.Services.AddSingleton<TableWorkers>();
        builder.Services.AddHostedService(services => services.GetRequiredService<TableWorkers>());
        builder.Services.AddSingleton(services => new QueryEngine(catalog, store.Store, options.Catalog.Namespace, options.Query, services.GetRequiredService<ILoggerFactory>().CreateLogger("IceGate.Query")));
        builder.Services.AddSingleton<QueryMetrics>();
        builder.Services.AddSingleton<AuthFailures>();
        builder.Services.AddSingleton<StoreHealthCheck>();
        builder.Services.AddOtlpGrpc(options.Ingest);
        var version = typeof(IceGateOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
        builder.Services.AddFlightSql(new FlightSqlSettings(options.Query, options.Ingest.DefaultTenant, version));

        // grpc.health.v1 on the OTLP/gRPC port: the store's health, asked at each Check, not cached.
        builder.Services.AddGrpcHealthChecks(health => health.UseHealthChecksCache = false).AddCheck<StoreHealthCheck>("store");
        builder.Services.AddSingleton(services => new IngestPipeline(store.Store, options.Ingest, services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddOpenApi(OpenApiDocument.Name, OpenApiDocument.Configure);
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("icegate", serviceVersion: version));
        telemetry.AddMetrics();
        if (options.Telemetry.OtlpEndpoint is { } endpoint)
        {
            AddTracing(telemetry, endpoint == "self" ? listeners.OtlpGrpcSelf : new Uri(endpoint));
        }

        var app = builder.Build();
        app.MapHealth(version);
        app.MapMetrics();
        // gRPC bounds each message itself (MaxReceiveMessageSize, answered RESOURCE_EXHAUSTED); Kestrel's
        // body limit would cut the stream first, which the library can only answer UNKNOWN.
        app.Use((context, next) =>
        {
            if (context.Connection.LocalPort == listeners.FlightSql.Port)
            {
                return GrpcFrameGuard.InvokeAsync(context, ctx => FlightRequestGuard.InvokeAsync(ctx, next, options.Ingest.MaxBodyBytes), options.Ingest.MaxBodyBytes);
            }

            if (context.Connection.LocalPort != listeners.OtlpGrpc.Port)
            {
                return next(context);
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = null;
            }

            return GrpcFrameGuard.InvokeAsync(context, next, options.Ingest.MaxBodyBytes);
        });
        if (keys is not null)
        {
            app.Use(new ApiKeyAuthentication(keys, listeners, app.Services.GetRequiredService<AuthFailures>()).InvokeAsync);
        }
        else if (!listeners.AllOnLoopback)
        {
            Log.OpenToTheNetwork(app.Logger);
        }

        app.MapIcebergRestCatalog(catalog, new RestCatalogOptions { FileIOConfig = FileIOConfig(options) });
        var pipeline = app.Services.GetRequiredService<IngestPipeline>();
        app.MapOtlpHttp(pipeline, listeners.OtlpHttpHost);
        app.MapOtlpGrpc(listeners.OtlpGrpcHost);
        app.MapGrpcHealthChecksService().RequireHost(listeners.OtlpGrpcHost);
        app.MapFlightSql(listeners.FlightSqlHost);
        var engine = app.Services.GetRequiredService<QueryEngine>();
        var queryMetrics = app.Services.GetRequiredService<QueryMetrics>();
        app.MapSqlApi(engine, queryMetrics, options.Query, options.Ingest.DefaultTenant);
        app.UseWebSockets();
        app.MapLokiApi(engine, queryMetrics, options.Query, options.Ingest.DefaultTenant, version);
        app.MapLokiPush(pipeline);
        app.MapOpenApi(OpenApiDocument.Route);
        app.Lifetime.ApplicationStarted.Register(() => Log.Started(app.Logger, version, string.Join(", ", app.Urls), store.Description));
        return app;
    }

    /// <summary>
    /// IceGate's activities exported over OTLP/gRPC, batched every second. Every one is recorded:
    /// under a request they join the caller's trace when it sent <c>traceparent</c>, and the
    /// request's own (unrecorded) hosting activity must not make the sampler drop them.
    /// </summary>
    private static void AddTracing(OpenTelemetry.OpenTelemetryBuilder telemetry, Uri endpoint) =>
        telemetry.WithTracing(tracing => tracing.AddSource(IceGateTelemetry.Name).SetSampler(new AlwaysOnSampler()).AddOtlpExporter(exporter =>
            {
                exporter.Endpoint = endpoint;
                exporter.Protocol = OtlpExportProtocol.Grpc;
                exporter.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 1000;
            }));

    /// <summary>What engines reading the tables through the REST catalog need to reach the files.</summary>
    private static Dictionary<string, string> FileIOConfig(IceGateOptions options)
    {
        if (!options.Store.Kind.Equals("s3", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var s3 = options.Store.S3;
        var config = new Dictionary<string, string> { ["s3.path-style-access"] = s3.ForcePathStyle ? "true" : "false", ["client.region"] = s3.Region };
        if (s3.Endpoint is { } endpoint)
        {
            config["s3.endpoint"] = endpoint;
        }

        // Never the store's own credentials: only a key pair the operator set aside for this.
        if (options.Catalog.VendedAccessKey is { } accessKey && options.Catalog.VendedSecretKey is { } secretKey)
        {
            config["s3.access-key-id"] = accessKey;
            config["s3.secret-access-key"] = secretKey;
        }

        return config;
    }
}
