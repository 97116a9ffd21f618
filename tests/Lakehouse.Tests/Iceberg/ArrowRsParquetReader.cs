using System.Diagnostics;
using System.Text.Json.Nodes;
using IceGate.Tests;

namespace IceGate.Lakehouse.Tests.Iceberg;

/// <summary>
/// A Parquet reader we did not write and that is not DuckDB: arrow-rs, the Rust implementation
/// behind DataFusion, iceberg-rust and delta-rs, in its WebAssembly build (npm parquet-wasm), run
/// by Node.js. The packages are installed once into the user cache with npm, as the build obtains
/// libduckdb. Without Node.js its tests skip (<see cref="IndependentClient"/>).
/// </summary>
internal static class ArrowRsParquetReader
{
    private const string Packages = "parquet-wasm@0.7.1 apache-arrow@21.2.0";

    private static readonly Lazy<string> s_modules = new(Install);

    /// <summary>Every row of the file, as JSON: timestamps as integer strings of their unit, 64-bit integers as strings.</summary>
    public static List<JsonObject> Read(string path)
    {
        var (exitCode, output, errors) = Run("node", Path.Combine(AppContext.BaseDirectory, "Iceberg", "read_parquet.mjs"), s_modules.Value, path);
        Assert.True(exitCode == 0, $"arrow-rs could not read {path}:\n{errors}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
    }

    private static string Install()
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        var directory = Path.Combine(cache, "icegate", "parquet-reader", Packages.Replace(' ', '+'));
        if (Directory.Exists(directory))
        {
            return directory;
        }

        var staging = $"{directory}.staging-{Guid.NewGuid():N}";
        try
        {
            var (exitCode, _, errors) = Run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", staging, .. Packages.Split(' ')]);
            Assert.True(exitCode == 0, $"npm install {Packages} failed:\n{errors}");
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
            IndependentClient.Missing($"'{program}' is not installed (Node.js and npm run the independent Parquet reader).");
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
