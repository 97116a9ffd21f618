using System.Diagnostics;

namespace IceGate.Server.Tests;

/// <summary>Keys made the way operators make them: with the binary's own <c>keys new</c> command.</summary>
internal static class IceGateKeys
{
    /// <summary>Runs <c>icegate keys new</c> and reads the token and the entry it prints.</summary>
    public static async Task<(string Token, string Entry)> NewAsync(string id, string tenant, string scopes)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "icegate.dll"), "keys", "new", "--id", id, "--tenant", tenant, "--scopes", scopes })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, process.ExitCode);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (lines.Single(l => l.StartsWith("token: ", StringComparison.Ordinal))[7..], lines.Single(l => l.StartsWith("entry: ", StringComparison.Ordinal))[7..]);
    }
}
