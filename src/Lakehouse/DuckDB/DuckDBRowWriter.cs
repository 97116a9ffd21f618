using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;
using IceGate.Lakehouse.DuckDB.Internal;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>
/// Writes rows straight into DuckDB data chunks (no SQL per row). What happens to a full chunk is
/// up to the subclass: <see cref="DuckDBAppender"/> appends it to a table, <see cref="DuckDBRowBuffer"/>
/// keeps it for a query to scan.
/// </summary>
/// <remarks>
/// Write a row as one <c>Append…</c> call per column in order, then <see cref="EndRow"/>.
/// Integers widen or narrow (checked) to the column's integer type; <see cref="DateTime"/> fits every
/// TIMESTAMP precision. A row abandoned by an exception is discarded at the next <see cref="EndRow"/>.
/// Not thread-safe.
/// </remarks>
public abstract unsafe class DuckDBRowWriter : IDisposable
{
    private readonly string _table;
    private readonly DuckDBType[] _types;
    private readonly byte[] _decimalScales;
    private readonly DuckDBType[] _decimalStorage;
    private readonly bool[] _stringMaps;
    private readonly nint[] _vectors;
    private readonly void*[] _data;
    private readonly ulong*[] _validity;
    private readonly int _capacity;
    private nint _chunk;
    private int _mapColumn = -1;
    private ulong _mapOffset;
    private ulong _mapSize;
    private ulong _mapCapacity;
    private DuckDBString* _mapKeys;
    private DuckDBString* _mapValues;
    private int _row;
    private int _column;

    /// <summary>Prepares a chunk of <paramref name="logicalTypes"/> (which stay the caller's to destroy).</summary>
    private protected DuckDBRowWriter(string table, ReadOnlySpan<nint> logicalTypes)
    {
        _table = table;
        var count = logicalTypes.Length;
        _types = new DuckDBType[count];
        _decimalScales = new byte[count];
        _decimalStorage = new DuckDBType[count];
        _stringMaps = new bool[count];
        for (var i = 0; i < count; i++)
        {
            _types[i] = NativeMethods.duckdb_get_type_id(logicalTypes[i]);
            if (_types[i] == DuckDBType.Map)
            {
                _stringMaps[i] = IsStringMap(logicalTypes[i]);
            }

            if (_types[i] == DuckDBType.Decimal)
            {
                _decimalScales[i] = NativeMethods.duckdb_decimal_scale(logicalTypes[i]);
                _decimalStorage[i] = NativeMethods.duckdb_decimal_internal_type(logicalTypes[i]);
            }
        }

        fixed (nint* types = logicalTypes)
        {
            _chunk = NativeMethods.duckdb_create_data_chunk(types, (ulong)count);
        }

        _capacity = (int)NativeMethods.duckdb_vector_size();
        _vectors = new nint[count];
        _data = new void*[count];
        _validity = new ulong*[count];
        RefreshVectors();
    }

    /// <summary>Native storage for the text the current chunk points at.</summary>
    private protected NativeArena Strings { get; } = new();

    /// <summary>Whether the writer was released.</summary>
    private protected bool IsReleased => _chunk == 0;

    /// <summary>Number of columns in the table.</summary>
    public int ColumnCount => _types.Length;

    /// <summary>Appends NULL to the next column.</summary>
    public DuckDBRowWriter AppendNull()
    {
        var column = CurrentColumn();
        if (_validity[column] is null)
        {
            NativeMethods.duckdb_vector_ensure_validity_writable(_vectors[column]);
            _validity[column] = NativeMethods.duckdb_vector_get_validity(_vectors[column]);
        }

        _validity[column][_row >> 6] &= ~(1UL << (_row & 63));
        return Advance();
    }

    /// <summary>Appends to a BOOLEAN column.</summary>
    public DuckDBRowWriter Append(bool value)
    {
        var column = CurrentColumn(DuckDBType.Boolean);
        ((bool*)_data[column])[_row] = value;
        return Advance();
    }

    /// <summary>Appends to any integer column, checking that the value fits.</summary>
    public DuckDBRowWriter Append(long value)
    {
        var column = CurrentColumn();
        var data = _data[column];
        switch (_types[column])
        {
            case DuckDBType.BigInt: ((long*)data)[_row] = value; break;
            case DuckDBType.Integer: ((int*)data)[_row] = checked((int)value); break;
            case DuckDBType.SmallInt: ((short*)data)[_row] = checked((short)value); break;
            case DuckDBType.TinyInt: ((sbyte*)data)[_row] = checked((sbyte)value); break;
            case DuckDBType.UBigInt: ((ulong*)data)[_row] = checked((ulong)value); break;
            case DuckDBType.UInteger: ((uint*)data)[_row] = checked((uint)value); break;
            case DuckDBType.USmallInt: ((ushort*)data)[_row] = checked((ushort)value); break;
            case DuckDBType.UTinyInt: ((byte*)data)[_row] = checked((byte)value); break;
            case DuckDBType.HugeInt: ((DuckDBHugeInt*)data)[_row] = DuckDBHugeInt.From(value); break;
            default: ThrowMismatch(column, "an integer"); break;
        }

        return Advance();
    }

    /// <summary>Appends to a UBIGINT column (or any integer column the value fits).</summary>
    public DuckDBRowWriter Append(ulong value)
    {
        if (value <= long.MaxValue)
        {
            return Append((long)value);
        }

        var column = CurrentColumn(DuckDBType.UBigInt);
        ((ulong*)_data[column])[_row] = value;
        return Advance();
    }

    /// <summary>Appends to a FLOAT or DOUBLE column.</summary>
    public DuckDBRowWriter Append(double value)
    {
        var column = CurrentColumn();
        switch (_types[column])
        {
            case DuckDBType.Double: ((double*)_data[column])[_row] = value; break;
            case DuckDBType.Float: ((float*)_data[column])[_row] = (float)value; break;
            default: ThrowMismatch(column, "a floating-point number"); break;
        }

        return Advance();
    }

    /// <summary>Appends to a DECIMAL column, rounding to its scale.</summary>
    public DuckDBRowWriter Append(decimal value)
    {
        var column = CurrentColumn(DuckDBType.Decimal);
        var scaled = decimal.Round(value * Pow10(_decimalScales[column]), MidpointRounding.ToEven);
        var unscaled = (Int128)scaled;
        var data = _data[column];
        switch (_decimalStorage[column])
        {
            case DuckDBType.SmallInt: ((short*)data)[_row] = checked((short)unscaled); break;
            case DuckDBType.Integer: ((int*)data)[_row] = checked((int)unscaled); break;
            case DuckDBType.BigInt: ((long*)data)[_row] = checked((long)unscaled); break;
            default: ((DuckDBHugeInt*)data)[_row] = DuckDBHugeInt.From(unscaled); break;
        }

        return Advance();
    }

    /// <summary>Appends to a VARCHAR column; null appends NULL.</summary>
    public DuckDBRowWriter Append(string? value)
    {
        if (value is null)
        {
            return AppendNull();
        }

        var column = CurrentColumn(DuckDBType.Varchar);
        var space = Strings.Reserve(Encoding.UTF8.GetMaxByteCount(value.Length), out var start);
        var length = Encoding.UTF8.GetBytes(value, space);
        WriteString(column, space[..length], start);
        return Advance();
    }

    /// <summary>Appends UTF-8 text to a VARCHAR column without decoding it; invalid UTF-8 is rejected.</summary>
    public DuckDBRowWriter AppendUtf8(ReadOnlySpan<byte> value)
    {
        var column = CurrentColumn(DuckDBType.Varchar);
        if (!Utf8.IsValid(value))
        {
            throw new ArgumentException($"The value for column {column} of '{_table}' is not valid UTF-8.", nameof(value));
        }

        CopyString(column, value);
        return Advance();
    }

    /// <summary>Appends bytes to a BLOB column.</summary>
    public DuckDBRowWriter AppendBlob(ReadOnlySpan<byte> value)
    {
        CopyString(CurrentColumn(DuckDBType.Blob), value);
        return Advance();
    }

    /// <summary>Appends to a TIMESTAMP column of any precision, or to TIMESTAMPTZ (taking the value as UTC).</summary>
    public DuckDBRowWriter Append(DateTime value)
    {
        var column = CurrentColumn();
        var ticks = value.Ticks - ColumnReader.UnixEpochTicks;
        var data = (long*)_data[column];
        switch (_types[column])
        {
            case DuckDBType.Timestamp or DuckDBType.TimestampTz: data[_row] = ticks / 10; break;
            case DuckDBType.TimestampNs: data[_row] = checked(ticks * 100); break;
            case DuckDBType.TimestampMs: data[_row] = ticks / TimeSpan.TicksPerMillisecond; break;
            case DuckDBType.TimestampS: data[_row] = ticks / TimeSpan.TicksPerSecond; break;
            case DuckDBType.Date: ((int*)data)[_row] = DateOnly.FromDateTime(value).DayNumber - ColumnReader.UnixEpochDayNumber; break;
            default: ThrowMismatch(column, "a timestamp"); break;
        }

        return Advance();
    }

    /// <summary>Appends microseconds since the Unix epoch to a TIMESTAMP or TIMESTAMPTZ column.</summary>
    public DuckDBRowWriter AppendTimestampMicros(long microsSinceEpoch)
    {
        var column = CurrentColumn();
        if (_types[column] is not (DuckDBType.Timestamp or DuckDBType.TimestampTz))
        {
            ThrowMismatch(column, "a timestamp in microseconds");
        }

        ((long*)_data[column])[_row] = microsSinceEpoch;
        return Advance();
    }

    /// <summary>Appends the instant (in UTC) to a TIMESTAMPTZ or TIMESTAMP column.</summary>
    public DuckDBRowWriter Append(DateTimeOffset value) => Append(value.UtcDateTime);

    /// <summary>Appends to a DATE column.</summary>
    public DuckDBRowWriter Append(DateOnly value)
    {
        var column = CurrentColumn(DuckDBType.Date);
        ((int*)_data[column])[_row] = value.DayNumber - ColumnReader.UnixEpochDayNumber;
        return Advance();
    }

    /// <summary>Appends to a UUID column.</summary>
    public DuckDBRowWriter Append(Guid value)
    {
        var column = CurrentColumn(DuckDBType.Uuid);
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);

        // DuckDB stores a UUID as a HUGEINT with the top bit flipped.
        ((DuckDBHugeInt*)_data[column])[_row] = new DuckDBHugeInt(
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            (long)(BinaryPrimitives.ReadUInt64BigEndian(bytes) ^ (1UL << 63)));
        return Advance();
    }

    /// <summary>
    /// Starts a value for a <c>MAP(VARCHAR, VARCHAR)</c> column: add entries with
    /// <see cref="AppendMapEntry"/>, then finish with <see cref="EndMap"/>. Keys and values are
    /// UTF-8 and copied, so the caller's buffers can be reused at once. Give the number of entries
    /// when known: the map's storage then grows once instead of per entry.
    /// </summary>
    public DuckDBRowWriter BeginMap(int expectedEntries = 0)
    {
        var column = CurrentColumn(DuckDBType.Map);
        if (!_stringMaps[column])
        {
            throw new NotSupportedException($"Column {column} of '{_table}' is a MAP that is not MAP(VARCHAR, VARCHAR); only string maps can be appended.");
        }

        if (_mapColumn >= 0)
        {
            throw new InvalidOperationException("A map is already open; call EndMap first.");
        }

        _mapColumn = column;
        _mapOffset = NativeMethods.duckdb_list_vector_get_size(_vectors[column]);
        _mapSize = _mapOffset;
        _mapCapacity = 0;
        ReserveMapEntries((ulong)Math.Max(expectedEntries, 1));
        return this;
    }

    /// <summary>Adds an entry to the map opened by <see cref="BeginMap"/>; invalid UTF-8 is rejected.</summary>
    public DuckDBRowWriter AppendMapEntry(ReadOnlySpan<byte> keyUtf8, ReadOnlySpan<byte> valueUtf8)
    {
        if (_mapColumn < 0)
        {
            throw new InvalidOperationException("No map is open; call BeginMap first.");
        }

        if (!Utf8.IsValid(keyUtf8) || !Utf8.IsValid(valueUtf8))
        {
            throw new ArgumentException($"A map entry for column {_mapColumn} of '{_table}' is not valid UTF-8.");
        }

        if (_mapSize == _mapCapacity)
        {
            ReserveMapEntries(Math.Max(4, _mapSize - _mapOffset));
        }

        WriteChildString(_mapKeys, _mapSize, keyUtf8);
        WriteChildString(_mapValues, _mapSize, valueUtf8);
        _mapSize++;
        return this;
    }

    /// <summary>Completes the map opened by <see cref="BeginMap"/>.</summary>
    public DuckDBRowWriter EndMap()
    {
        if (_mapColumn < 0)
        {
            throw new InvalidOperationException("No map is open; call BeginMap first.");
        }

        var column = _mapColumn;
        NativeMethods.duckdb_list_vector_set_size(_vectors[column], _mapSize);
        ((DuckDBListEntry*)_data[column])[_row] = new DuckDBListEntry(_mapOffset, _mapSize - _mapOffset);
        _mapColumn = -1;
        return Advance();
    }

    /// <summary>Appends a whole <c>MAP(VARCHAR, VARCHAR)</c> value.</summary>
    public DuckDBRowWriter Append(IEnumerable<KeyValuePair<string, string>> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        BeginMap();
        foreach (var (key, value) in map)
        {
            AppendMapEntry(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
        }

        return EndMap();
    }

    /// <summary>Completes the row; every column must have received a value.</summary>
    public void EndRow()
    {
        ObjectDisposedException.ThrowIf(IsReleased, this);
        if (_column != _types.Length)
        {
            var given = _column;
            DiscardRow();
            throw new InvalidOperationException($"The row for '{_table}' has {given} values, but the table has {_types.Length} columns; the row was discarded.");
        }

        _column = 0;
        if (++_row == _capacity)
        {
            CompleteChunk();
        }
    }

    /// <summary>Releases the writer: see the subclass for what happens to rows not yet handed on.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the chunk being filled and the text it points at.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_chunk != 0)
        {
            NativeMethods.duckdb_destroy_data_chunk(ref _chunk);
        }

        Strings.Dispose();
    }

    /// <summary>
    /// Called with the chunk of completed rows (its size already set); returns the chunk to fill
    /// next, which may be the same one after the subclass has copied and reset it.
    /// </summary>
    private protected abstract nint HandOn(nint chunk);

    /// <summary>Hands on the completed rows, if any; a row left incomplete by an exception is discarded.</summary>
    private protected void CompleteChunk()
    {
        DiscardRow();
        if (_row == 0)
        {
            return;
        }

        NativeMethods.duckdb_data_chunk_set_size(_chunk, (ulong)_row);
        _row = 0;
        try
        {
            _chunk = HandOn(_chunk);
        }
        finally
        {
            RefreshVectors();
        }
    }

    private static decimal Pow10(int scale)
    {
        var result = 1m;
        for (var i = 0; i < scale; i++)
        {
            result *= 10;
        }

        return result;
    }

    /// <summary>Values of a discarded row are overwritten by the next one, but its NULL marks must be undone.</summary>
    private void DiscardRow()
    {
        for (var i = 0; i < _column; i++)
        {
            if (_validity[i] is not null)
            {
                _validity[i][_row >> 6] |= 1UL << (_row & 63);
            }
        }

        _column = 0;
        _mapColumn = -1;
    }

    private static bool IsStringMap(nint mapType)
    {
        var key = NativeMethods.duckdb_map_type_key_type(mapType);
        var value = NativeMethods.duckdb_map_type_value_type(mapType);
        try
        {
            return NativeMethods.duckdb_get_type_id(key) == DuckDBType.Varchar && NativeMethods.duckdb_get_type_id(value) == DuckDBType.Varchar;
        }
        finally
        {
            NativeMethods.duckdb_destroy_logical_type(ref key);
            NativeMethods.duckdb_destroy_logical_type(ref value);
        }
    }

    /// <summary>Grows the open map's storage by <paramref name="additional"/> entries; reserving may move the child buffers, so their pointers are taken again.</summary>
    private void ReserveMapEntries(ulong additional)
    {
        var list = _vectors[_mapColumn];
        _mapCapacity = _mapSize + additional;
        if (NativeMethods.duckdb_list_vector_reserve(list, _mapCapacity) != DuckDBState.Success)
        {
            throw new DuckDBException($"Could not grow the map of column {_mapColumn} of '{_table}'.", DuckDBErrorType.OutOfMemory);
        }

        var entries = NativeMethods.duckdb_list_vector_get_child(list);
        _mapKeys = (DuckDBString*)NativeMethods.duckdb_vector_get_data(NativeMethods.duckdb_struct_vector_get_child(entries, 0));
        _mapValues = (DuckDBString*)NativeMethods.duckdb_vector_get_data(NativeMethods.duckdb_struct_vector_get_child(entries, 1));
    }

    private void WriteChildString(DuckDBString* vector, ulong index, ReadOnlySpan<byte> value)
    {
        var space = Strings.Reserve(value.Length, out var start);
        value.CopyTo(space);
        DuckDBString.Write(vector + index, value, start);
        if (value.Length > DuckDBString.InlineLength)
        {
            Strings.Commit(value.Length);
        }
    }

    private void CopyString(int column, ReadOnlySpan<byte> value)
    {
        var space = Strings.Reserve(value.Length, out var start);
        value.CopyTo(space);
        WriteString(column, value, start);
    }

    private void WriteString(int column, ReadOnlySpan<byte> value, byte* storage)
    {
        DuckDBString.Write((DuckDBString*)_data[column] + _row, value, storage);
        if (value.Length > DuckDBString.InlineLength)
        {
            Strings.Commit(value.Length);
        }
    }

    /// <summary>The column the next value goes to; it advances only once a value is written, so a failed append can be retried.</summary>
    private int CurrentColumn()
    {
        ObjectDisposedException.ThrowIf(IsReleased, this);
        if (_column == _types.Length)
        {
            ThrowTooManyValues();
        }

        return _column;
    }

    private DuckDBRowWriter Advance()
    {
        _column++;
        return this;
    }

    private int CurrentColumn(DuckDBType expected)
    {
        var column = CurrentColumn();
        if (_types[column] != expected)
        {
            ThrowMismatch(column, expected.ToString().ToUpperInvariant());
        }

        return column;
    }

    /// <summary>Resetting or replacing a chunk may move its buffers, so pointers are taken again after each hand-on.</summary>
    private void RefreshVectors()
    {
        for (var i = 0; i < _types.Length; i++)
        {
            _vectors[i] = NativeMethods.duckdb_data_chunk_get_vector(_chunk, (ulong)i);
            _data[i] = NativeMethods.duckdb_vector_get_data(_vectors[i]);
            _validity[i] = null;
        }
    }

    [DoesNotReturn]
    private void ThrowMismatch(int column, string given) =>
        throw new ArgumentException($"Column {column} of '{_table}' is {_types[column].ToString().ToUpperInvariant()}; it cannot take {given}.");

    [DoesNotReturn]
    private void ThrowTooManyValues() =>
        throw new InvalidOperationException($"The row already has a value for each of the {_types.Length} columns of '{_table}'; call EndRow.");
}
