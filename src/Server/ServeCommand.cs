using System.Net.Sockets;
using IceGate.Lakehouse.Storage;

namespace IceGate.Server;

/// <summary>
/// <c>icegate serve</c>: checks the flags, the settings, the listeners' ports and the store, then
/// serves until SIGTERM. Anything the operator must fix before the process can run is one line
/// on stderr and exit code 1 (2 for a flag that is not a setting); never a stack trace.
/// </summary>
internal static class ServeCommand
{
    /// <summary>How long the first store request may take (with its retries) before the store counts as unreachable.</summary>
    private static readonly TimeSpan s_storeProbeTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string? configFile, IReadOnlyList<string> flags)
    {
        if (UnknownFlag(flags) is { } unknown)
        {
            Console.Error.WriteLine($"icegate serve: {unknown}\nTry 'icegate serve --help'.");
            return 2;
        }

        WebApplication app;
        try
        {
            app = Startup.Build(configFile, [.. flags]);
        }
        catch (StartupException e)
        {
            return Fail(e.Problems);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException or FormatException)
        {
            // The binder's and the store's own words for what is wrong with a setting.
            return Fail([e.Message]);
        }

        await using (app)
        {
            if (PortsInUse(app.Services.GetRequiredService<Listeners>()) is { Count: > 0 } taken)
            {
                return Fail(taken);
            }

            if (await StoreProblemAsync(app.Services.GetRequiredService<StoreComposition>()).ConfigureAwait(false) is { } storeProblem)
            {
                return Fail([storeProblem]);
            }

            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (IOException e)
            {
                // A port taken between the check above and the bind.
                return Fail([e.Message]);
            }

            await app.WaitForShutdownAsync().ConfigureAwait(false);
        }

        return 0;
    }

    private static int Fail(IEnumerable<string> problems)
    {
        foreach (var problem in problems)
        {
            Console.Error.WriteLine($"icegate: {problem.ReplaceLineEndings(" ")}");
        }

        return 1;
    }

    /// <summary>The first flag that is malformed or names no setting, described; null if all bind.</summary>
    private static string? UnknownFlag(IReadOnlyList<string> flags)
    {
        for (var i = 0; i < flags.Count; i++)
        {
            var flag = flags[i];
            if (!flag.StartsWith("--", StringComparison.Ordinal) || flag.Length == 2)
            {
                return $"unexpected argument '{flag}': settings are given as --Section:Name=value.";
            }

            var key = flag[2..].Split('=', 2)[0];
            if (!flag.Contains('=', StringComparison.Ordinal) && (++i == flags.Count || flags[i].StartsWith("--", StringComparison.Ordinal)))
            {
                return $"the flag '{flag}' needs a value (--{key}=value).";
            }

            if (ConfigurationKeys.Unknown(new ConfigurationBuilder().AddInMemoryCollection([new(key, "x")]).Build(), typeof(IceGateOptions)).Any())
            {
                return $"unknown flag '--{key}': it is not a setting.";
            }
        }

        return null;
    }

    private static List<string> PortsInUse(Listeners listeners)
    {
        var taken = new List<string>();
        foreach (var (setting, endPoint) in listeners.All)
        {
            using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // As Kestrel binds: a port whose last connections linger in TIME_WAIT is free.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            try
            {
                socket.Bind(endPoint);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied or SocketError.AddressNotAvailable)
            {
                var reason = e.SocketErrorCode == SocketError.AddressAlreadyInUse ? "address already in use" : e.Message;
                taken.Add($"{setting} {endPoint}: {reason}.");
            }
        }

        return taken;
    }

    /// <summary>Why the store cannot be used, or null: one listing, with the store's retries, bounded in time.</summary>
    private static async Task<string?> StoreProblemAsync(StoreComposition store)
    {
        using var timeout = new CancellationTokenSource(s_storeProbeTimeout);
        try
        {
            // A listing, not a read: S3 answers a read of a missing object in a missing bucket as it would a missing object.
            await store.Store.ListAsync("catalog/", maxKeys: 1, cancellationToken: timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException)
        {
            return $"the object store ({store.Description}) did not answer within {s_storeProbeTimeout.TotalSeconds:0} s.";
        }
        catch (ObjectStoreException e)
        {
            return $"the object store ({store.Description}) cannot be used: {e.Message}";
        }
    }
}
