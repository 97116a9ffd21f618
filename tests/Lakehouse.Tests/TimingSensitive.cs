namespace IceGate.Lakehouse.Tests;

/// <summary>Tests that assert a latency run alone, after the parallel ones, so a busy machine does not fail them.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class TimingSensitive;
