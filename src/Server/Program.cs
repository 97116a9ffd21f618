using System.Reflection;
using IceGate.Server;

if (args is not ["serve", ..])
{
    Console.Error.WriteLine("""
        usage: icegate serve [--config <file.json>] [--DataDirectory=<dir>] [--QueryUrl=<url>] [--Store:Kind=local|s3] ...

        Runs IceGate. With no configuration, state lives under ./data and the query API listens on :3100.
        Settings come from the JSON file, then ICEGATE_-prefixed environment variables
        (ICEGATE_STORE__KIND=s3), then flags.
        """);
    return 2;
}

var flags = args[1..].ToList();
var builder = WebApplication.CreateSlimBuilder();
if (flags.IndexOf("--config") is var at and >= 0)
{
    if (at + 1 >= flags.Count)
    {
        Console.Error.WriteLine("--config needs a file.");
        return 2;
    }

    builder.Configuration.AddJsonFile(Path.GetFullPath(flags[at + 1]), optional: false);
    flags.RemoveRange(at, 2);
}

builder.Configuration.AddEnvironmentVariables("ICEGATE_").AddCommandLine([.. flags]);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
var options = builder.Configuration.Get<IceGateOptions>() ?? new IceGateOptions();
builder.WebHost.UseUrls(options.QueryUrl);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(_ => StoreComposition.Create(options));

var app = builder.Build();
var version = typeof(IceGateOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
app.MapHealth(version);

var store = app.Services.GetRequiredService<StoreComposition>();
app.Lifetime.ApplicationStarted.Register(() => Log.Started(app.Logger, version, string.Join(", ", app.Urls), store.Description));
await app.RunAsync();
return 0;
