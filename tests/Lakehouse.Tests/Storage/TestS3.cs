using IceGate.Lakehouse.Storage;

namespace IceGate.Lakehouse.Tests.Storage;

/// <summary>
/// The test S3 server, from S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION and S3_BUCKET
/// (as written by scripts/s3-server.sh). Without them S3 tests are skipped, except under CI=true,
/// where a missing server is a failure.
/// </summary>
public static class TestS3
{
    public static S3ObjectStoreOptions? Options()
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
                Prefix = $"tests/{Guid.NewGuid():N}",
            };
    }

    public static T SkipOrFail<T>()
    {
        const string message = "No S3 endpoint configured: set S3_ENDPOINT (and S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET), e.g. by `source \"$(scripts/s3-server.sh start)\"`.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"CI=true requires the S3 tests to run. {message}");
        }

        Assert.Skip(message);
        return default!;
    }
}
