using System.Text;

namespace IceGate.Lakehouse.Storage;

/// <summary>The keys every store accepts: relative paths of '/'-separated, non-empty segments.</summary>
public static class ObjectKey
{
    /// <summary>S3's limit on a key's UTF-8 length.</summary>
    public const int MaxBytes = 1024;

    /// <summary>Throws <see cref="ObjectStoreException"/> of kind <see cref="ObjectStoreErrorKind.InvalidKey"/> unless the key is valid.</summary>
    public static string Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var problem = key.Length == 0 ? "is empty"
            : Encoding.UTF8.GetByteCount(key) > MaxBytes ? $"is longer than {MaxBytes} bytes"
            : key.AsSpan().IndexOfAny('\0', '\\') >= 0 ? "contains NUL or a backslash"
            : HasBadSegment(key) ? "has an empty, '.' or '..' segment"
            : null;
        return problem is null ? key : throw new ObjectStoreException(ObjectStoreErrorKind.InvalidKey, $"Object key '{key}' {problem}.");
    }

    private static bool HasBadSegment(string key)
    {
        foreach (var range in key.AsSpan().Split('/'))
        {
            var segment = key.AsSpan()[range];
            if (segment.IsEmpty || segment is "." or "..")
            {
                return true;
            }
        }

        return false;
    }
}
