using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IceGate.Lakehouse.Storage;

namespace IceGate.Server.Tests;

/// <summary>The real icegate binary in its own OS process, on free ports, in a scratch working directory.</summary>
public sealed class IceGateProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly IReadOnlyDictionary<string, string>? _environment;
    private readonly string[] _arguments;
    private Process _process = null!;

    private IceGateProcess(string workingDirectory, IReadOnlyDictionary<string, string>? environment, string[] arguments)
    {
        WorkingDirectory = workingDirectory;
        _environment = environment;
        _arguments = arguments;
        Launch();
    }

    public string WorkingDirectory { get; }

    public Uri QueryUrl { get; private set; } = null!;

    public Uri OtlpHttpUrl { get; private set; } = null!;

    public Uri OtlpGrpcUrl { get; private set; } = null!;

    public Uri FlightSqlUrl { get; private set; } = null!;

    /// <summary>Whether this class picked the ports (so that it may pick others if one was taken meanwhile).</summary>
    private bool PicksPorts => _arguments is ["serve", ..] && !_arguments.Any(a => a.StartsWith("--QueryUrl", StringComparison.Ordinal));

    /// <summary>The WAL segments written so far under the default data directory.</summary>
    public string WalDirectory(string signal) => Path.Combine(WorkingDirectory, "data", "objects", "wal", signal);

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// ICEGATE_ variables that put the store on the test S3 server (from S3_*), under a fresh key
    /// prefix; skips the test without a server, except under CI=true where that fails it.
    /// </summary>
    public static Dictionary<string, string> S3Environment()
    {
        var endpoint = Environment.GetEnvironmentVariable("S3_ENDPOINT");
        if (string.IsNullOrEmpty(endpoint))
        {
            Assert.SkipWhen(!string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "No S3 endpoint configured (S3_ENDPOINT).");
            Assert.Fail("CI=true requires an S3 endpoint (S3_ENDPOINT).");
        }

        return new Dictionary<string, string>
        {
            ["ICEGATE_STORE__KIND"] = "s3",
            ["ICEGATE_STORE__S3__ENDPOINT"] = endpoint,
            ["ICEGATE_STORE__S3__BUCKET"] = Environment.GetEnvironmentVariable("S3_BUCKET")!,
            ["ICEGATE_STORE__S3__PREFIX"] = $"tests/{Guid.NewGuid():N}",
            ["ICEGATE_STORE__S3__ACCESSKEY"] = Environment.GetEnvironmentVariable("S3_ACCESS_KEY")!,
            ["ICEGATE_STORE__S3__SECRETKEY"] = Environment.GetEnvironmentVariable("S3_SECRET_KEY")!,
        };
    }

    /// <summary>The store a process started with <paramref name="environment"/> (from <see cref="S3Environment"/>) uses, for reading what it wrote.</summary>
    public static S3ObjectStore S3Store(IReadOnlyDictionary<string, string> environment) => new(new S3ObjectStoreOptions
    {
        Endpoint = environment["ICEGATE_STORE__S3__ENDPOINT"],
        Bucket = environment["ICEGATE_STORE__S3__BUCKET"],
        Prefix = environment["ICEGATE_STORE__S3__PREFIX"],
        AccessKey = environment["ICEGATE_STORE__S3__ACCESSKEY"],
        SecretKey = environment["ICEGATE_STORE__S3__SECRETKEY"],
    });

    /// <summary>Starts <c>icegate</c> with <paramref name="arguments"/> (the query URL is added unless given).</summary>
    public static IceGateProcess Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment = null, params string[] arguments) =>
        new(workingDirectory, environment, arguments);

    private void Launch()
    {
        QueryUrl = new Uri($"http://127.0.0.1:{FreePort()}");
        OtlpHttpUrl = new Uri($"http://127.0.0.1:{FreePort()}");
        OtlpGrpcUrl = new Uri($"http://127.0.0.1:{FreePort()}");
        FlightSqlUrl = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "icegate.dll"));
        foreach (var argument in _arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (PicksPorts)
        {
            start.ArgumentList.Add($"--QueryUrl={QueryUrl}");
            start.ArgumentList.Add($"--OtlpHttpUrl={OtlpHttpUrl}");
            start.ArgumentList.Add($"--OtlpGrpcUrl={OtlpGrpcUrl}");
            start.ArgumentList.Add($"--FlightSqlUrl={FlightSqlUrl}");
        }

        foreach (var (name, value) in _environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits until <c>/health</c> answers 200, failing with the process's output if it exits or times out.</summary>
    public async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var portRetries = 0;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Until the redirected streams reach their end, the last lines may not be in Output yet.
                _process.WaitForExit();
                // A free port picked here can be taken by another process before icegate binds it: pick again.
                if (PicksPorts && Output.Contains("address already in use", StringComparison.Ordinal) && ++portRetries <= 3)
                {
                    _process.Dispose();
                    Launch();
                    continue;
                }

                Assert.Fail($"icegate exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(QueryUrl, "/health"), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Not listening yet, or too busy starting to answer within the client's timeout.
            }

            await Task.Delay(100, cancellationToken);
        }

        Assert.Fail($"icegate did not become healthy in 30 s:\n{Output}");
    }

    /// <summary>Ends the process at once, as <c>kill -9</c> does: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
