namespace IceGate.Tests;

/// <summary>
/// Programs we did not write that some tests use as independent clients or readers (Debian's
/// Python modules, Node.js). .ci/run installs them; elsewhere a missing one skips its tests, except
/// under CI=true, where that fails.
/// </summary>
internal static class IndependentClient
{
    /// <summary>Skips the test, or fails it under CI, saying what is missing.</summary>
    public static void Missing(string message)
    {
        Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), message);
        Assert.Skip(message);
    }
}
