using System.Text.Json;
using System.Text.Json.Nodes;

namespace IceGate.Server.Tests;

public sealed class OpenApiTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-openapi-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Set ICEGATE_UPDATE_OPENAPI=1 to rewrite openapi/icegate.json from the running service.</summary>
    [Fact]
    public async Task The_checked_in_openapi_document_equals_what_the_service_serves()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using var client = new HttpClient();
        var served = await client.GetStringAsync(new Uri(icegate.QueryUrl, "/openapi/icegate.json"), TestContext.Current.CancellationToken);

        var checkedIn = Path.Combine(RepositoryRoot(), "openapi", "icegate.json");
        if (Environment.GetEnvironmentVariable("ICEGATE_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(checkedIn, served, TestContext.Current.CancellationToken);
        }

        var expected = JsonNode.Parse(await File.ReadAllTextAsync(checkedIn, TestContext.Current.CancellationToken));
        Assert.True(
            JsonNode.DeepEquals(expected, JsonNode.Parse(served)),
            $"openapi/icegate.json differs from the served document; rerun with ICEGATE_UPDATE_OPENAPI=1 to update it. Served:\n{served}");
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "IceGate.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("IceGate.sln not found above the test's directory.");
    }
}
