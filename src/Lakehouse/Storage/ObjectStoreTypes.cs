namespace IceGate.Lakehouse.Storage;

/// <summary>The condition of a <see cref="IObjectStore.PutAsync"/>.</summary>
public readonly record struct PutCondition
{
    private PutCondition(bool ifNoneMatch, string? ifMatch)
    {
        IsIfNoneMatch = ifNoneMatch;
        IfMatchETag = ifMatch;
    }

    /// <summary>No condition: the write replaces whatever is there.</summary>
    public static PutCondition None => default;

    /// <summary>Create-only (<c>If-None-Match: *</c>): the write fails if the key exists.</summary>
    public static PutCondition IfNoneMatch { get; } = new(true, null);

    /// <summary>True for <see cref="IfNoneMatch"/>.</summary>
    public bool IsIfNoneMatch { get; }

    /// <summary>The ETag an <see cref="IfMatch"/> condition expects, else null.</summary>
    public string? IfMatchETag { get; }

    /// <summary>True unless this is <see cref="None"/>.</summary>
    public bool IsConditional => IsIfNoneMatch || IfMatchETag is not null;

    /// <summary>Compare-and-swap (<c>If-Match: etag</c>): the write fails unless the object exists with this ETag.</summary>
    public static PutCondition IfMatch(string etag)
    {
        ArgumentException.ThrowIfNullOrEmpty(etag);
        return new PutCondition(false, etag);
    }

    /// <inheritdoc />
    public override string ToString() => IsIfNoneMatch ? "If-None-Match: *" : IfMatchETag is { } etag ? $"If-Match: {etag}" : "unconditional";
}

/// <summary>The outcome of a <see cref="IObjectStore.PutAsync"/>.</summary>
public readonly record struct PutResult
{
    private PutResult(string? etag) => ETag = etag;

    /// <summary>The write did not happen because its condition did not hold.</summary>
    public static PutResult PreconditionFailed => default;

    /// <summary>True if the object was written.</summary>
    public bool Written => ETag is not null;

    /// <summary>The new object's ETag, if it was written.</summary>
    public string? ETag { get; }

    /// <summary>The object was written and now has <paramref name="etag"/>.</summary>
    public static PutResult Success(string etag)
    {
        ArgumentException.ThrowIfNullOrEmpty(etag);
        return new PutResult(etag);
    }
}

/// <summary>What <see cref="IObjectStore.GetAsync"/> read.</summary>
/// <param name="Content">The object's bytes, or the requested range of them.</param>
/// <param name="ETag">The version of the object the bytes come from.</param>
/// <param name="ObjectLength">The length of the whole object, even when a range was read.</param>
public sealed record ObjectData(ReadOnlyMemory<byte> Content, string ETag, long ObjectLength);

/// <summary>An object's description, from <see cref="IObjectStore.HeadAsync"/> or a listing.</summary>
public sealed record ObjectMetadata(string Key, long Length, string ETag, DateTimeOffset LastModified);

/// <summary>One page of a listing.</summary>
/// <param name="Objects">Objects in ascending key order.</param>
/// <param name="ContinuationToken">Where the next page starts, or null if this was the last.</param>
public sealed record ListPage(IReadOnlyList<ObjectMetadata> Objects, string? ContinuationToken)
{
    /// <summary>The largest page S3 returns, and the default page size.</summary>
    public const int MaxKeys = 1000;
}

/// <summary>
/// A part of an object: up to <see cref="Length"/> bytes from <see cref="Offset"/> (S3's
/// <c>bytes=a-b</c>), or with no offset, the last <see cref="Length"/> bytes (<c>bytes=-n</c>, how a
/// Parquet footer is read). Ranges reaching past the end are cut short.
/// </summary>
public readonly record struct ByteRange
{
    private ByteRange(long? offset, long length)
    {
        Offset = offset;
        Length = length;
    }

    /// <summary>The first byte, or null for a suffix range.</summary>
    public long? Offset { get; }

    /// <summary>How many bytes at most.</summary>
    public long Length { get; }

    /// <summary><paramref name="length"/> bytes starting at <paramref name="offset"/>.</summary>
    public static ByteRange FromOffset(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        return new ByteRange(offset, length);
    }

    /// <summary>The last <paramref name="length"/> bytes.</summary>
    public static ByteRange Suffix(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        return new ByteRange(null, length);
    }

    /// <summary>Where this range falls in an object of <paramref name="objectLength"/> bytes.</summary>
    /// <exception cref="ObjectStoreException">The range starts at or after the end (S3's 416).</exception>
    public (long Start, long Count) Resolve(long objectLength)
    {
        if (Offset is not { } offset)
        {
            var count = Math.Min(Length, objectLength);
            return (objectLength - count, count);
        }

        return offset < objectLength
            ? (offset, Math.Min(Length, objectLength - offset))
            : throw new ObjectStoreException(ObjectStoreErrorKind.InvalidRange, $"Range starts at byte {offset} of an object of {objectLength} bytes.");
    }

    /// <summary>The HTTP Range header value.</summary>
    public override string ToString() => Offset is { } offset ? $"bytes={offset}-{offset + Length - 1}" : $"bytes=-{Length}";
}
