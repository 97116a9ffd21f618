using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace IceGate.QueryApi;

/// <summary>Counts each tenant's running statements and refuses one past its <see cref="QueryLimits.MaxConcurrentQueries"/>.</summary>
internal sealed class QueryAdmission
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _running = new(StringComparer.Ordinal);

    /// <summary>Admits a statement of <paramref name="tenant"/>; dispose the result when it ends. Throws 429 past the limit.</summary>
    public Lease Enter(string tenant, int limit)
    {
        var running = _running.GetOrAdd(tenant, static _ => new StrongBox<int>());
        if (Interlocked.Increment(ref running.Value) > limit)
        {
            Interlocked.Decrement(ref running.Value);
            throw new QueryException(429, $"Tenant '{tenant}' is already running {limit} queries, the most Query:Limits:MaxConcurrentQueries allows; retry when one ends.");
        }

        return new Lease(running);
    }

    /// <summary>One admitted statement.</summary>
    internal sealed class Lease(StrongBox<int> running) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref running.Value);
            }
        }
    }
}
