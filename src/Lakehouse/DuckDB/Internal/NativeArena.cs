using System.Runtime.InteropServices;

namespace IceGate.Lakehouse.DuckDB.Internal;

/// <summary>
/// Bump allocator in native memory for string bytes that a data chunk points at until it is
/// appended. <see cref="Reset"/> keeps the blocks, so steady-state appending allocates nothing.
/// </summary>
internal sealed unsafe class NativeArena : IDisposable
{
    private const int BlockSize = 1 << 20;

    private readonly List<(nint Start, int Size)> _blocks = [];
    private int _block = -1;
    private int _used;

    /// <summary>Space for <paramref name="length"/> bytes; it stays reserved only after <see cref="Commit"/>.</summary>
    public Span<byte> Reserve(int length, out byte* start)
    {
        if (_block < 0 || _blocks[_block].Size - _used < length)
        {
            NextBlock(length);
        }

        start = (byte*)_blocks[_block].Start + _used;
        return new Span<byte>(start, length);
    }

    public void Commit(int length) => _used += length;

    public void Reset()
    {
        _block = _blocks.Count > 0 ? 0 : -1;
        _used = 0;
    }

    public void Dispose()
    {
        foreach (var (start, _) in _blocks)
        {
            NativeMemory.Free((void*)start);
        }

        _blocks.Clear();
        _block = -1;
    }

    private void NextBlock(int minimum)
    {
        _used = 0;
        while (++_block < _blocks.Count)
        {
            if (_blocks[_block].Size >= minimum)
            {
                return;
            }
        }

        var size = Math.Max(minimum, BlockSize);
        _blocks.Add(((nint)NativeMemory.Alloc((nuint)size), size));
        _block = _blocks.Count - 1;
    }
}
