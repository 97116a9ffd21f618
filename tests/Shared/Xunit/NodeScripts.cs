using System.Diagnostics;
using System.Text.Json.Nodes;

namespace IceGate.Tests;

/// <summary>
/// Clients and readers we did not write, run by Node.js: arrow-rs (npm parquet-wasm, the Rust
/// implementation behind DataFusion, iceberg-rust and delta-rs), apache-arrow (the JavaScript
/// implementation), the OpenTelemetry JavaScript exporters. Each package set is installed once into
/// the user cache with npm. Without Node.js the tests that use them skip, except under CI=true
/// (<see cref="IndependentClient"/>).
/// </summary>
internal static class NodeScripts
{
    /// <summary>The Parquet and Arrow readers.</summary>
    public const string Readers = "parquet-wasm@0.7.1 apache-arrow@21.2.0";

    /// <summary>The OpenTelemetry JavaScript SDK's OTLP/gRPC log exporter.</summary>
    public const string OtlpGrpcLogExporter = "@opentelemetry/exporter-logs-otlp-grpc@0.301.2 @opentelemetry/sdk-logs@3.1.1";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>> s_modules = new(StringComparer.Ordinal);

    /// <summary>Runs a reader script of the test output and parses each line it prints as a JSON object.</summary>
    public static List<JsonObject> JsonLines(string script, params string[] arguments)
    {
        var output = Run(script, Readers, arguments);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
    }

    /// <summary>Runs a script of the test output (it takes the directory of <paramref name="packages"/> first) and returns what it printed; fails the test if it fails.</summary>
    public static string Run(string script, string packages, params string[] arguments)
    {
        var modules = s_modules.GetOrAdd(packages, set => new Lazy<string>(() => Install(set))).Value;
        var (exitCode, output, errors) = Run("node", [Path.Combine(AppContext.BaseDirectory, script), modules, .. arguments]);
        Assert.True(exitCode == 0, $"{script} {string.Join(' ', arguments)} failed:\n{errors}");
        return output;
    }

    private static string Install(string packages)
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        var directory = Path.Combine(cache, "icegate", "node-packages", packages.Replace(' ', '+').Replace('/', '_'));
        if (Directory.Exists(directory))
        {
            return directory;
        }

        var staging = $"{directory}.staging-{Guid.NewGuid():N}";
        try
        {
            var (exitCode, _, errors) = Run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", staging, .. packages.Split(' ')]);
            Assert.True(exitCode == 0, $"npm install {packages} failed:\n{errors}");
            try
            {
                // A rename is atomic: a test running in parallel sees the packages whole or not at all.
                Directory.Move(staging, directory);
            }
            catch (IOException) when (Directory.Exists(directory))
            {
            }

            return directory;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static (int ExitCode, string Output, string Errors) Run(string program, params string[] arguments)
    {
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            IndependentClient.Missing($"'{program}' is not installed (Node.js and npm run the independent Arrow and Parquet readers).");
            throw;
        }

        using (process)
        {
            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, errors.Result);
        }
    }
}
