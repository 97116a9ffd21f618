namespace IceGate.Lakehouse.Storage;

/// <summary>How <see cref="RetryingObjectStore"/> retries: exponential backoff with full jitter.</summary>
public sealed record RetryPolicy
{
    /// <summary>Attempts per operation, the first included.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>The backoff ceiling of the first retry; it doubles per attempt.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The largest backoff ceiling.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The wait before retry number <paramref name="retry"/> (1-based): uniform in [0, ceiling], so
    /// that writers who collided do not collide again in lockstep.
    /// </summary>
    public TimeSpan DelayBefore(int retry)
    {
        var ceiling = Math.Min(MaxDelay.Ticks, BaseDelay.Ticks * (1L << Math.Min(retry - 1, 30)));
        return TimeSpan.FromTicks(Random.Shared.NextInt64(ceiling + 1));
    }
}
