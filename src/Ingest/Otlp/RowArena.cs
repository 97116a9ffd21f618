using System.Buffers;

namespace IceGate.Ingest.Otlp;

/// <summary>A string in a <see cref="RowArena"/>: UTF-8 bytes at an offset; a negative length is null.</summary>
internal readonly record struct Utf8Ref(int Offset, int Length)
{
    public static Utf8Ref Null => new(0, -1);

    public bool IsNull => Length < 0;
}

/// <summary>An attribute map in a <see cref="RowArena"/>: a run of entries.</summary>
internal readonly record struct MapRef(int First, int Count);

/// <summary>
/// Holds decoded rows' strings and attribute maps: all UTF-8 bytes in one pooled buffer and all map
/// entries in one pooled array, so decoding allocates per request, never per attribute.
/// </summary>
internal sealed class RowArena : IDisposable
{
    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private (Utf8Ref Key, Utf8Ref Value)[] _entries = ArrayPool<(Utf8Ref, Utf8Ref)>.Shared.Rent(1024);
    private int _used;
    private int _entryCount;

    /// <summary>Bytes of string data held, a measure of the batch's size.</summary>
    public int ByteCount => _used;

    public Utf8Ref Add(ReadOnlySpan<byte> utf8)
    {
        utf8.CopyTo(Reserve(utf8.Length));
        return Commit(utf8.Length);
    }

    /// <summary>Space for up to <paramref name="maxLength"/> bytes at the end; <see cref="Commit"/> keeps what was written.</summary>
    public Span<byte> Reserve(int maxLength)
    {
        if (_bytes.Length - _used < maxLength)
        {
            Grow(ref _bytes, _used + maxLength);
        }

        return _bytes.AsSpan(_used, maxLength);
    }

    public Utf8Ref Commit(int length)
    {
        var reference = new Utf8Ref(_used, length);
        _used += length;
        return reference;
    }

    public ReadOnlySpan<byte> Get(Utf8Ref reference) => reference.IsNull ? default : _bytes.AsSpan(reference.Offset, reference.Length);

    public int EntryCount => _entryCount;

    public void AddEntry(Utf8Ref key, Utf8Ref value)
    {
        if (_entryCount == _entries.Length)
        {
            Grow(ref _entries, _entryCount + 1);
        }

        _entries[_entryCount++] = (key, value);
    }

    /// <summary>Forgets entries added since <paramref name="count"/> (their strings stay until the arena goes).</summary>
    public void TruncateEntries(int count) => _entryCount = count;

    public MapRef MapSince(int firstEntry) => new(firstEntry, _entryCount - firstEntry);

    public ReadOnlySpan<(Utf8Ref Key, Utf8Ref Value)> Entries(MapRef map) => _entries.AsSpan(map.First, map.Count);

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(Interlocked.Exchange(ref _bytes, []));
        ArrayPool<(Utf8Ref, Utf8Ref)>.Shared.Return(Interlocked.Exchange(ref _entries, []));
    }

    private static void Grow<T>(ref T[] array, int minimum)
    {
        var larger = ArrayPool<T>.Shared.Rent(Math.Max(minimum, array.Length * 2));
        array.AsSpan().CopyTo(larger);
        ArrayPool<T>.Shared.Return(array);
        array = larger;
    }
}
