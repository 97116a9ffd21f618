using System.Reflection;
using IceGate.Catalog;
using IceGate.Ingest;
using IceGate.Ingest.Receivers;
using IceGate.QueryApi;
using IceGate.QueryApi.LogQL;
using IceGate.Server;

const string Usage = """
    usage: icegate serve [--config <file.json>] [--DataDirectory=<dir>] [--QueryUrl=<url>] [--Store:Kind=local|s3] ...

    Runs IceGate. With no configuration, state lives under ./data and the query API listens on :3100.
    Settings come from the JSON file, then ICEGATE_-prefixed environment variables
    (ICEGATE_STORE__KIND=s3), then flags.
    """;

if (args is not ["serve", ..])
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var flags = args[1..].ToList();
string? configFile = null;
if (flags.IndexOf("--config") is var at and >= 0)
{
    if (at + 1 >= flags.Count || flags[at + 1].StartsWith("--", StringComparison.Ordinal))
    {
        Console.Error.WriteLine($"icegate: --config needs a file.\n\n{Usage}");
        return 2;
    }

    configFile = Path.GetFullPath(flags[at + 1]);
    flags.RemoveRange(at, 2);
}

WebApplication app;
try
{
    app = Startup.Build(configFile, [.. flags]);
}
catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException or FormatException)
{
    // Configuration mistakes are the operator's to fix: say what is wrong, without a stack trace.
    Console.Error.WriteLine($"icegate: {e.Message}");
    return 1;
}

await app.RunAsync();
return 0;

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
        }

        builder.Configuration.AddEnvironmentVariables("ICEGATE_").AddCommandLine(flags);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var options = builder.Configuration.Get<IceGateOptions>() ?? new IceGateOptions();
        var store = StoreComposition.Create(options);
        var listeners = Listeners.Parse(options);
        builder.WebHost.ConfigureKestrel(kestrel => listeners.Configure(kestrel, options.Ingest.MaxBodyBytes));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(store);
        var catalog = new IcebergCatalog(store.Store);
        builder.Services.AddSingleton(catalog);
        builder.Services.AddHostedService<CatalogBootstrap>();
        builder.Services.AddSingleton<TableWorkers>();
        builder.Services.AddHostedService(services => services.GetRequiredService<TableWorkers>());
        builder.Services.AddSingleton(new QueryEngine(catalog, store.Store, options.Catalog.Namespace, options.Query));
        builder.Services.AddSingleton<QueryMetrics>();
        builder.Services.AddSingleton(services => new IngestPipeline(store.Store, options.Ingest, services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddOpenApi(OpenApiDocument.Name, OpenApiDocument.Configure);

        var app = builder.Build();
        var version = typeof(IceGateOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
        app.MapHealth(version);
        app.MapMetrics();
        app.MapIcebergRestCatalog(catalog, new RestCatalogOptions { Token = options.Catalog.Token, FileIOConfig = FileIOConfig(options) });
        var pipeline = app.Services.GetRequiredService<IngestPipeline>();
        app.MapOtlpHttp(pipeline, listeners.OtlpHttpHost);
        app.MapOtlpGrpc(pipeline, listeners.OtlpGrpcHost);
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

        if (s3.AccessKey is { } accessKey && s3.SecretKey is { } secretKey)
        {
            config["s3.access-key-id"] = accessKey;
            config["s3.secret-access-key"] = secretKey;
        }

        return config;
    }
}
