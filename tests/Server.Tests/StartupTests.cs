using System.Net;
using System.Net.Sockets;

namespace IceGate.Server.Tests;

/// <summary>What the operator sees when the process cannot run as configured: one line naming the setting or the cause, and the exit code.</summary>
public sealed class StartupTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-startup-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Every invariant the settings table states, broken one at a time.</summary>
    public static TheoryData<string, string[]> Violations => new()
    {
        { "Shift:SettleTime", ["--Shift:SettleTime=00:00:05"] },
        { "Shift:SettleTime", ["--Ingest:Wal:PublishDeadline=00:00:30"] },
        { "Ingest:MaxBodyBytes", ["--Ingest:MaxBodyBytes=0"] },
        { "Ingest:RecordsPerSecondPerTenant", ["--Ingest:RecordsPerSecondPerTenant=-1"] },
        { "Ingest:BytesPerSecondPerTenant", ["--Ingest:BytesPerSecondPerTenant=-1"] },
        { "Ingest:Wal:GroupWindow", ["--Ingest:Wal:GroupWindow=00:00:00"] },
        { "Ingest:Wal:PublishDeadline", ["--Ingest:Wal:PublishDeadline=-00:00:01"] },
        { "Ingest:Wal:MaxGroupBytes", ["--Ingest:Wal:MaxGroupBytes=0"] },
        { "Ingest:Wal:MaxPendingBytes", ["--Ingest:Wal:MaxPendingBytes=0"] },
        { "Shift:MaxClockSkew", ["--Shift:MaxClockSkew=00:00:12"] },
        { "Shift:MaxClockSkew", ["--Shift:MaxClockSkew=-00:00:01"] },
        { "Ingest:Wal:Builders", ["--Ingest:Wal:Builders=0"] },
        { "Shift:PollInterval", ["--Shift:PollInterval=00:00:00"] },
        { "Shift:LeaseDuration", ["--Shift:LeaseDuration=00:00:00"] },
        { "Shift:WalGrace", ["--Shift:WalGrace=-00:01:00"] },
        { "Shift:TaskInputBytes", ["--Shift:TaskInputBytes=0"] },
        { "Shift:MaxPlanSegments", ["--Shift:MaxPlanSegments=0"] },
        { "Maintenance:Interval", ["--Maintenance:Interval=00:00:00"] },
        { "Maintenance:SnapshotRetention", ["--Maintenance:SnapshotRetention=00:00:00"] },
        { "Maintenance:OrphanGrace", ["--Maintenance:OrphanGrace=00:00:00"] },
        { "Maintenance:TargetFileBytes", ["--Maintenance:TargetFileBytes=0"] },
        { "Maintenance:CompactMinFiles", ["--Maintenance:CompactMinFiles=1"] },
        { "Maintenance:RetainSnapshots", ["--Maintenance:RetainSnapshots=0"] },
        { "Maintenance:RetentionDays:logs", ["--Maintenance:RetentionDays:logs=0"] },
        { "Maintenance:TenantRetentionDays:logs:acme", ["--Maintenance:TenantRetentionDays:logs:acme=-3"] },
        { "Query:CacheBytes", ["--Query:CacheBytes=0"] },
        { "Query:ParallelFetches", ["--Query:ParallelFetches=0"] },
        { "Query:IndexCacheBytes", ["--Query:IndexCacheBytes=-1"] },
        { "Maintenance:IndexBackfillFiles", ["--Maintenance:IndexBackfillFiles=-1"] },
        { "Index:Attributes", ["--Index:Attributes:0= "] },
        { "Query:Threads", ["--Query:Threads=-1"] },
        { "Query:MaxLimit", ["--Query:MaxLimit=0"] },
        { "Query:DefaultLimit", ["--Query:DefaultLimit=0"] },
        { "Query:DefaultLimit", ["--Query:DefaultLimit=2000000"] },
        { "Query:Timeout", ["--Query:Timeout=00:00:00"] },
        { "Query:Timeout", ["--Query:Timeout=soon"] },
        { "Query:Limits:MaxConcurrentQueries", ["--Query:Limits:MaxConcurrentQueries=0"] },
        { "Query:Limits:MaxEntries", ["--Query:Limits:MaxEntries=0"] },
        { "Query:Limits:MaxSeries", ["--Query:Limits:MaxSeries=-5"] },
        { "Query:Limits:MaxPoints", ["--Query:Limits:MaxPoints=0"] },
        { "Query:Limits:MaxBytesScanned", ["--Query:Limits:MaxBytesScanned=-1"] },
        { "Query:TenantLimits:acme:MaxSeries", ["--Query:TenantLimits:acme:MaxSeries=0"] },
        { "Store:Retry:MaxAttempts", ["--Store:Retry:MaxAttempts=0"] },
        { "Store:Retry:BaseDelay", ["--Store:Retry:BaseDelay=00:00:00"] },
        { "Store:Retry:MaxDelay", ["--Store:Retry:MaxDelay=00:00:00.010"] },
        { "Store:Kind", ["--Store:Kind=floppy"] },
        { "Store:S3:Bucket", ["--Store:Kind=s3"] },
        { "Store:S3:AccessKey", ["--Store:Kind=s3", "--Store:S3:Bucket=b", "--Store:S3:AccessKey=k"] },
        { "Store:S3:Endpoint", ["--Store:Kind=s3", "--Store:S3:Bucket=b", "--Store:S3:Endpoint=ftp://x"] },
        { "Store:S3:RequestTimeout", ["--Store:Kind=s3", "--Store:S3:Bucket=b", "--Store:S3:RequestTimeout=00:00:00"] },
        { "Catalog:VendedAccessKey", ["--Catalog:VendedAccessKey=k"] },
        { "Auth:KeysFile", ["--Auth:KeysFile=does-not-exist.json"] },
        { "QueryUrl", ["--QueryUrl=https://0.0.0.0:3100"] },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task A_broken_invariant_exits_1_naming_the_setting_without_a_stack_trace(string setting, string[] flags)
    {
        var (code, output) = await RunAsync(["serve", .. flags]);
        Assert.Equal(1, code);
        Assert.Contains(setting, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_exits_1_naming_the_listener()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        // All three listeners named, so that the test harness adds none of its own.
        var (code, output) = await RunAsync(["serve", "--QueryUrl=http://127.0.0.1:0", $"--OtlpHttpUrl=http://127.0.0.1:{port}", "--OtlpGrpcUrl=http://127.0.0.1:0", "--FlightSqlUrl=http://127.0.0.1:0"]);
        Assert.Equal(1, code);
        Assert.Contains($"OtlpHttpUrl 127.0.0.1:{port}: address already in use", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_store_at_start_exits_1_naming_the_store()
    {
        var (code, output) = await RunAsync(["serve", "--Store:Kind=s3", "--Store:S3:Bucket=nowhere", "--Store:S3:Endpoint=http://127.0.0.1:1", "--Store:S3:AccessKey=k", "--Store:S3:SecretKey=s", "--Store:Retry:MaxAttempts=2"]);
        Assert.Equal(1, code);
        Assert.Contains("the object store (s3 bucket nowhere at http://127.0.0.1:1) cannot be used", output, StringComparison.Ordinal);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.StartsWith("icegate:", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_setting_in_the_configuration_file_that_binds_to_nothing_exits_1_naming_it()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "typo.json"), """{ "Query": { "Timout": "00:05:00" } }""", TestContext.Current.CancellationToken);
        var (code, output) = await RunAsync(["serve", "--config", "typo.json"]);
        Assert.Equal(1, code);
        Assert.Contains("'Query:Timout', which is not a setting", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("serve", "--help")]
    [InlineData("serve", "-h")]
    [InlineData("keys", "new", "--help")]
    public async Task Help_prints_usage_and_exits_0_without_serving(params string[] arguments)
    {
        var (code, output) = await RunAsync(arguments);
        Assert.Equal(0, code);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logging_flags_are_the_hosts_and_accepted()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: ["serve", "--Logging:LogLevel:Default=Warning"]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Version_prints_the_build_and_exits_0()
    {
        var (code, output) = await RunAsync(["--version"]);
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
    }

    [Theory]
    [InlineData("Required command")]
    [InlineData("frobnicate", "frobnicate")]
    [InlineData("--config", "serve", "--QueryUrl=http://127.0.0.1:1", "--config")]
    [InlineData("--frobnicate", "--frobnicate")]
    [InlineData("--Query:Timout", "serve", "--Query:Timout=00:05:00")]
    [InlineData("--Nonsense", "serve", "--Nonsense", "1")]
    [InlineData("extra", "serve", "extra")]
    [InlineData("--Query:Timeout", "serve", "--QueryUrl=http://127.0.0.1:1", "--Query:Timeout")]
    [InlineData("--Query:Timeout", "serve", "--Query:Timeout", "--Query:MaxLimit=5")]
    [InlineData("--tenant", "keys", "new", "--scopes", "read")]
    [InlineData("'everything'", "keys", "new", "--tenant", "t", "--scopes", "everything")]
    public async Task An_unknown_command_or_flag_exits_2_naming_it(string named, params string[] arguments)
    {
        var (code, output) = await RunAsync(arguments);
        Assert.Equal(2, code);
        Assert.Contains(named, output, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> RunAsync(string[] arguments)
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: arguments);
        var code = await icegate.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (code, icegate.Output);
    }
}
