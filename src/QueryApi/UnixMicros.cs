namespace IceGate.QueryApi;

/// <summary>
/// Times as Unix microseconds, bounded to what <see cref="DateTime"/> can hold (years 1 to 9999):
/// a client's time or duration outside it is refused as a 400 before any arithmetic overflows.
/// </summary>
public static class UnixMicros
{
    /// <summary>0001-01-01T00:00:00Z.</summary>
    public const long MinValue = -62_135_596_800_000_000;

    /// <summary>9999-12-31T23:59:59.999999Z.</summary>
    public const long MaxValue = 253_402_300_799_999_999;

    /// <summary><paramref name="micros"/> as a whole number of µs if it is a representable time; otherwise a 400 naming <paramref name="name"/>.</summary>
    public static long Checked(double micros, string name) =>
        double.IsFinite(micros) && micros >= MinValue && micros <= MaxValue
            ? (long)micros
            : throw new QueryException(400, $"invalid {name}: it is outside the times IceGate can represent (years 1 to 9999)");
}
