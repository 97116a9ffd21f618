using System.Collections.Concurrent;

namespace IceGate.Ingest;

/// <summary>
/// Per-tenant token buckets for records/s and bytes/s, each holding up to one second's worth. A
/// request that would overdraw either bucket is refused whole, with the wait until it would fit.
/// </summary>
public sealed class TenantRateLimiter(double recordsPerSecond, double bytesPerSecond, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Buckets> _tenants = new(StringComparer.Ordinal);

    /// <summary>Takes the request's cost from the tenant's buckets; false, with a wait, if it does not fit.</summary>
    public bool TryAcquire(string tenant, long records, long bytes, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (recordsPerSecond <= 0 && bytesPerSecond <= 0)
        {
            return true;
        }

        var buckets = _tenants.GetOrAdd(tenant, _ => new Buckets(recordsPerSecond, bytesPerSecond, _time.GetTimestamp()));
        lock (buckets)
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(buckets.UpdatedAt, now).TotalSeconds;
            buckets.UpdatedAt = now;
            buckets.Records = Refill(buckets.Records, recordsPerSecond, elapsed);
            buckets.Bytes = Refill(buckets.Bytes, bytesPerSecond, elapsed);
            var recordWait = Wait(buckets.Records, records, recordsPerSecond);
            var byteWait = Wait(buckets.Bytes, bytes, bytesPerSecond);
            if (recordWait > 0 || byteWait > 0)
            {
                retryAfter = TimeSpan.FromSeconds(Math.Ceiling(Math.Max(recordWait, byteWait)));
                return false;
            }

            buckets.Records -= recordsPerSecond > 0 ? records : 0;
            buckets.Bytes -= bytesPerSecond > 0 ? bytes : 0;
            return true;
        }
    }

    private static double Refill(double level, double rate, double seconds) => rate <= 0 ? 0 : Math.Min(rate, level + (rate * seconds));

    /// <summary>Seconds until the bucket holds <paramref name="cost"/>; a request bigger than a second's worth waits for a full bucket.</summary>
    private static double Wait(double level, long cost, double rate) =>
        rate <= 0 ? 0 : Math.Max(0, (Math.Min(cost, rate) - level) / rate);

    private sealed class Buckets(double records, double bytes, long updatedAt)
    {
        public double Records { get; set; } = records;

        public double Bytes { get; set; } = bytes;

        public long UpdatedAt { get; set; } = updatedAt;
    }
}
