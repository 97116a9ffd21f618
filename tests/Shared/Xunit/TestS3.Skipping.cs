namespace IceGate.Tests;

/// <summary>Skips S3 tests without a server, except under CI=true, where that is a failure.</summary>
internal static partial class TestS3
{
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
