using System.Diagnostics;
using System.Globalization;
using System.Text;
using IceGate.Lakehouse.Storage;

namespace IceGate.Lakehouse.Tests.Storage;

public sealed class LocalObjectStoreTests : ObjectStoreContract, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("icegate-store-").FullName;

    public LocalObjectStoreTests() => Store = new RetryingObjectStore(new LocalObjectStore(_root));

    protected override IObjectStore Store { get; }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Two_processes_racing_create_only_writes_each_win_disjoint_rounds_covering_all()
    {
        const int rounds = 300;
        var winners = await RunContendersAsync(writer => ["create-race", $"local:{_root}", StartFile, "race/", rounds.ToString(CultureInfo.InvariantCulture), $"process {writer}"]);

        var first = winners[0].Select(int.Parse).ToHashSet();
        var second = winners[1].Select(int.Parse).ToHashSet();
        Assert.Empty(first.Intersect(second));
        Assert.Equal(Enumerable.Range(0, rounds).ToHashSet(), first.Union(second).ToHashSet());
        var store = new LocalObjectStore(_root);
        foreach (var round in first)
        {
            Assert.Equal("process 0", Encoding.UTF8.GetString((await store.GetAsync($"race/{round}", cancellationToken: TestContext.Current.CancellationToken))!.Content.Span));
        }
    }

    [Fact]
    public async Task Two_processes_incrementing_by_compare_and_swap_lose_no_update()
    {
        var store = new LocalObjectStore(_root);
        await store.PutAsync("counter", CasCounter.Initial, cancellationToken: TestContext.Current.CancellationToken);
        await RunContendersAsync(_ => ["cas", $"local:{_root}", StartFile, "counter", "250"]);
        Assert.Equal((500, 500), await CasCounter.ReadAsync(store, "counter", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_write_leaves_nothing_in_staging_and_the_object_survives_reopening()
    {
        await new LocalObjectStore(_root).PutAsync("a/b/c.bin", "durable"u8.ToArray(), PutCondition.IfNoneMatch, TestContext.Current.CancellationToken);
        await new LocalObjectStore(_root).PutAsync("a/b/c.bin", "refused"u8.ToArray(), PutCondition.IfNoneMatch, TestContext.Current.CancellationToken);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, "staging")));
        var reopened = new LocalObjectStore(_root);
        Assert.Equal("durable", Encoding.UTF8.GetString((await reopened.GetAsync("a/b/c.bin", cancellationToken: TestContext.Current.CancellationToken))!.Content.Span));
    }

    private string StartFile => Path.Combine(_root, "start");

    private async Task<List<string>[]> RunContendersAsync(Func<int, string[]> arguments)
    {
        var contender = Path.Combine(AppContext.BaseDirectory, "IceGate.Contender.dll");
        var processes = Enumerable.Range(0, 2).Select(writer =>
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(contender);
            foreach (var argument in arguments(writer))
            {
                start.ArgumentList.Add(argument);
            }

            return Process.Start(start)!;
        }).ToArray();

        // Both processes are running (and polling for this file) before either writes.
        await Task.Delay(500, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(StartFile, "go", TestContext.Current.CancellationToken);

        var outputs = new List<string>[processes.Length];
        for (var i = 0; i < processes.Length; i++)
        {
            var output = await processes[i].StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var errors = await processes[i].StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await processes[i].WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(processes[i].ExitCode == 0, $"contender {i} failed: {errors}");
            outputs[i] = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            processes[i].Dispose();
        }

        return outputs;
    }
}
