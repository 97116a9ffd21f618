using System.CommandLine;
using IceGate.Server;
using IceGate.Server.Security;

var config = new Option<FileInfo?>("--config") { Description = "A JSON file of settings (overridden by ICEGATE_ environment variables, then by flags)." };
var serve = new Command("serve", """
    Runs IceGate. With no configuration, state lives under ./data and the query API listens on :3100.
    Any setting may follow as a flag: --Store:Kind=s3 --Query:Timeout=00:02:00 (see the README's settings table).
    """)
{
    config,
};

// Settings flags are not declared one by one: the configuration binder reads them, and ServeCommand refuses those that name no setting.
serve.TreatUnmatchedTokensAsErrors = false;
serve.SetAction((parse, cancellationToken) => ServeCommand.RunAsync(parse.GetValue(config)?.FullName, parse.UnmatchedTokens));

var root = new RootCommand("IceGate: an object-storage-native observability data lake in one binary.") { serve, KeysCommand.Create() };
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"icegate: {error.Message}");
    }

    Console.Error.WriteLine("Try 'icegate --help'.");
    return 2;
}

// The host handles SIGTERM and SIGINT itself (draining ingest); the parser must not end the process first.
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
