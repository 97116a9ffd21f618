using IceGate.Lakehouse.Storage;

namespace IceGate.Tests;

/// <summary>
/// The test S3 server, from S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION and S3_BUCKET
/// (as written by scripts/s3-server.sh). Without them S3 tests are skipped, except under CI=true,
/// where a missing server is a failure.
/// </summary>
internal static partial class TestS3
{
    /// <summary>The test server's options, with keys under <paramref name="prefix"/> (a fresh one by default).</summary>
    public static S3ObjectStoreOptions? Options(string? prefix = null)
    {
        var endpoint = Environment.GetEnvironmentVariable("S3_ENDPOINT");
        return string.IsNullOrEmpty(endpoint)
            ? null
            : new S3ObjectStoreOptions
            {
                Endpoint = endpoint,
                AccessKey = Environment.GetEnvironmentVariable("S3_ACCESS_KEY"),
                SecretKey = Environment.GetEnvironmentVariable("S3_SECRET_KEY"),
                Region = Environment.GetEnvironmentVariable("S3_REGION") ?? "us-east-1",
                Bucket = Environment.GetEnvironmentVariable("S3_BUCKET") ?? "test-bucket",
                Prefix = prefix ?? $"tests/{Guid.NewGuid():N}",
            };
    }
}
