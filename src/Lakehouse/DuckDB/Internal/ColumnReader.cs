using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace IceGate.Lakehouse.DuckDB.Internal;

/// <summary>
/// Reads one column's values out of DuckDB vectors. Built once per result column from its logical
/// type (nested types get a tree of readers) and applied to each chunk's vector; callers check
/// <see cref="IsValid"/> before reading, so readers never see a NULL row.
/// </summary>
internal abstract unsafe class ColumnReader(Type clrType, string typeName)
{
    internal const long UnixEpochTicks = 621_355_968_000_000_000;
    internal const int UnixEpochDayNumber = 719_162;

    public Type ClrType { get; } = clrType;

    public string TypeName { get; } = typeName;

    public abstract object Read(nint vector, ulong row);

    public static bool IsValid(nint vector, ulong row)
    {
        var mask = NativeMethods.duckdb_vector_get_validity(vector);
        return mask is null || (mask[row >> 6] & (1UL << (int)(row & 63))) != 0;
    }

    /// <summary>Builds the reader for a logical type; the caller keeps ownership of the handle.</summary>
    public static ColumnReader Create(nint logicalType)
    {
        var type = NativeMethods.duckdb_get_type_id(logicalType);
        return type switch
        {
            DuckDBType.Boolean => new FixedReader<bool>("BOOLEAN"),
            DuckDBType.TinyInt => new FixedReader<sbyte>("TINYINT"),
            DuckDBType.SmallInt => new FixedReader<short>("SMALLINT"),
            DuckDBType.Integer => new FixedReader<int>("INTEGER"),
            DuckDBType.BigInt => new FixedReader<long>("BIGINT"),
            DuckDBType.UTinyInt => new FixedReader<byte>("UTINYINT"),
            DuckDBType.USmallInt => new FixedReader<ushort>("USMALLINT"),
            DuckDBType.UInteger => new FixedReader<uint>("UINTEGER"),
            DuckDBType.UBigInt => new FixedReader<ulong>("UBIGINT"),
            DuckDBType.HugeInt => new HugeIntReader(),
            DuckDBType.UHugeInt => new UHugeIntReader(),
            DuckDBType.Float => new FixedReader<float>("FLOAT"),
            DuckDBType.Double => new FixedReader<double>("DOUBLE"),
            DuckDBType.Decimal => new DecimalReader(NativeMethods.duckdb_decimal_internal_type(logicalType), NativeMethods.duckdb_decimal_scale(logicalType)),
            DuckDBType.Varchar => new StringReader(),
            DuckDBType.Blob => new BlobReader(),
            DuckDBType.Date => new DateReader(),
            DuckDBType.Time => new TimeReader(),
            DuckDBType.Timestamp => new TimestampReader("TIMESTAMP", ticksPerUnit: 10, unitsPerTick: 1),
            DuckDBType.TimestampS => new TimestampReader("TIMESTAMP_S", ticksPerUnit: TimeSpan.TicksPerSecond, unitsPerTick: 1),
            DuckDBType.TimestampMs => new TimestampReader("TIMESTAMP_MS", ticksPerUnit: TimeSpan.TicksPerMillisecond, unitsPerTick: 1),
            DuckDBType.TimestampNs => new TimestampReader("TIMESTAMP_NS", ticksPerUnit: 1, unitsPerTick: 100),
            DuckDBType.TimestampTz => new TimestampTzReader(),
            DuckDBType.Uuid => new UuidReader(),
            DuckDBType.Enum => new EnumReader(logicalType),
            DuckDBType.List => WithChild(NativeMethods.duckdb_list_type_child_type(logicalType), child => new ListReader(child)),
            DuckDBType.Array => WithChild(NativeMethods.duckdb_array_type_child_type(logicalType), child => new ArrayReader(child, NativeMethods.duckdb_array_type_array_size(logicalType))),
            DuckDBType.Struct => StructReader.FromType(logicalType),
            DuckDBType.Map => MapReader.FromType(logicalType),
            DuckDBType.SqlNull => new NullReader(),
            _ => new UnsupportedReader(type.ToString().ToUpperInvariant()),
        };
    }

    private static ColumnReader WithChild(nint childType, Func<ColumnReader, ColumnReader> create)
    {
        try
        {
            return create(Create(childType));
        }
        finally
        {
            NativeMethods.duckdb_destroy_logical_type(ref childType);
        }
    }

    protected static T* Data<T>(nint vector)
        where T : unmanaged => (T*)NativeMethods.duckdb_vector_get_data(vector);
}

/// <summary>A reader with a typed, non-boxing read for <see cref="DuckDBDataReader.GetFieldValue{T}"/>.</summary>
internal abstract class ColumnReader<T>(string typeName) : ColumnReader(typeof(T), typeName)
{
    public abstract T ReadValue(nint vector, ulong row);

    public sealed override object Read(nint vector, ulong row) => ReadValue(vector, row)!;
}

internal sealed unsafe class FixedReader<T>(string typeName) : ColumnReader<T>(typeName)
    where T : unmanaged
{
    public override T ReadValue(nint vector, ulong row) => Data<T>(vector)[row];
}

internal sealed unsafe class HugeIntReader() : ColumnReader<Int128>("HUGEINT")
{
    public override Int128 ReadValue(nint vector, ulong row) => Data<DuckDBHugeInt>(vector)[row].ToInt128();
}

internal sealed unsafe class UHugeIntReader() : ColumnReader<UInt128>("UHUGEINT")
{
    public override UInt128 ReadValue(nint vector, ulong row)
    {
        var value = Data<DuckDBHugeInt>(vector)[row];
        return new UInt128((ulong)value.Upper, value.Lower);
    }
}

internal sealed unsafe class DecimalReader(DuckDBType storage, byte scale) : ColumnReader<decimal>("DECIMAL")
{
    public override decimal ReadValue(nint vector, ulong row)
    {
        Int128 unscaled = storage switch
        {
            DuckDBType.SmallInt => Data<short>(vector)[row],
            DuckDBType.Integer => Data<int>(vector)[row],
            DuckDBType.BigInt => Data<long>(vector)[row],
            _ => Data<DuckDBHugeInt>(vector)[row].ToInt128(),
        };
        var negative = unscaled < 0;
        var magnitude = (UInt128)(negative ? -unscaled : unscaled);
        if (magnitude >> 96 != 0)
        {
            throw new OverflowException($"The DECIMAL value {unscaled}e-{scale} does not fit in System.Decimal (28 digits).");
        }

        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), (int)(uint)(magnitude >> 64), negative, scale);
    }
}

internal sealed unsafe class StringReader() : ColumnReader<string>("VARCHAR")
{
    public override string ReadValue(nint vector, ulong row) => Encoding.UTF8.GetString(DuckDBString.Bytes(Data<DuckDBString>(vector) + row));
}

internal sealed unsafe class BlobReader() : ColumnReader<byte[]>("BLOB")
{
    public override byte[] ReadValue(nint vector, ulong row) => DuckDBString.Bytes(Data<DuckDBString>(vector) + row).ToArray();
}

internal sealed unsafe class DateReader() : ColumnReader<DateOnly>("DATE")
{
    public override DateOnly ReadValue(nint vector, ulong row) => DateOnly.FromDayNumber(UnixEpochDayNumber + Data<int>(vector)[row]);
}

internal sealed unsafe class TimeReader() : ColumnReader<TimeOnly>("TIME")
{
    public override TimeOnly ReadValue(nint vector, ulong row) => new(Data<long>(vector)[row] * 10);
}

internal sealed unsafe class TimestampReader(string typeName, long ticksPerUnit, long unitsPerTick) : ColumnReader<DateTime>(typeName)
{
    public override DateTime ReadValue(nint vector, ulong row) =>
        new(UnixEpochTicks + (Data<long>(vector)[row] * ticksPerUnit / unitsPerTick), DateTimeKind.Unspecified);
}

internal sealed unsafe class TimestampTzReader() : ColumnReader<DateTimeOffset>("TIMESTAMP WITH TIME ZONE")
{
    public override DateTimeOffset ReadValue(nint vector, ulong row) => new(UnixEpochTicks + (Data<long>(vector)[row] * 10), TimeSpan.Zero);
}

internal sealed unsafe class UuidReader() : ColumnReader<Guid>("UUID")
{
    public override Guid ReadValue(nint vector, ulong row)
    {
        // DuckDB stores a UUID as a HUGEINT with the top bit flipped, so that signed order is UUID order.
        var value = Data<DuckDBHugeInt>(vector)[row];
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)value.Upper ^ (1UL << 63));
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], value.Lower);
        return new Guid(bytes, bigEndian: true);
    }
}

internal sealed unsafe class EnumReader : ColumnReader<string>
{
    private readonly DuckDBType _storage;
    private readonly string[] _dictionary;

    public EnumReader(nint logicalType)
        : base("ENUM")
    {
        _storage = NativeMethods.duckdb_enum_internal_type(logicalType);
        _dictionary = new string[NativeMethods.duckdb_enum_dictionary_size(logicalType)];
        for (var i = 0; i < _dictionary.Length; i++)
        {
            _dictionary[i] = Utf8Text.FromNativeAndFree(NativeMethods.duckdb_enum_dictionary_value(logicalType, (ulong)i));
        }
    }

    public override string ReadValue(nint vector, ulong row) => _dictionary[_storage switch
    {
        DuckDBType.UTinyInt => Data<byte>(vector)[row],
        DuckDBType.USmallInt => Data<ushort>(vector)[row],
        _ => (int)Data<uint>(vector)[row],
    }];
}

internal sealed unsafe class ListReader(ColumnReader element) : ColumnReader<List<object?>>("LIST")
{
    public override List<object?> ReadValue(nint vector, ulong row)
    {
        var entry = Data<DuckDBListEntry>(vector)[row];
        var child = NativeMethods.duckdb_list_vector_get_child(vector);
        var values = new List<object?>((int)entry.Length);
        for (var i = entry.Offset; i < entry.Offset + entry.Length; i++)
        {
            values.Add(element.IsValidAndRead(child, i));
        }

        return values;
    }
}

internal sealed class ArrayReader(ColumnReader element, ulong size) : ColumnReader<List<object?>>("ARRAY")
{
    public override List<object?> ReadValue(nint vector, ulong row)
    {
        var child = NativeMethods.duckdb_array_vector_get_child(vector);
        var values = new List<object?>((int)size);
        for (var i = row * size; i < (row + 1) * size; i++)
        {
            values.Add(element.IsValidAndRead(child, i));
        }

        return values;
    }
}

internal sealed unsafe class StructReader(string[] names, ColumnReader[] fields) : ColumnReader<Dictionary<string, object?>>("STRUCT")
{
    public static StructReader FromType(nint logicalType)
    {
        var count = (int)NativeMethods.duckdb_struct_type_child_count(logicalType);
        var names = new string[count];
        var fields = new ColumnReader[count];
        for (var i = 0; i < count; i++)
        {
            names[i] = Utf8Text.FromNativeAndFree(NativeMethods.duckdb_struct_type_child_name(logicalType, (ulong)i));
            var fieldType = NativeMethods.duckdb_struct_type_child_type(logicalType, (ulong)i);
            try
            {
                fields[i] = Create(fieldType);
            }
            finally
            {
                NativeMethods.duckdb_destroy_logical_type(ref fieldType);
            }
        }

        return new StructReader(names, fields);
    }

    public ColumnReader Field(int index) => fields[index];

    public override Dictionary<string, object?> ReadValue(nint vector, ulong row)
    {
        var values = new Dictionary<string, object?>(names.Length, StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            values[names[i]] = fields[i].IsValidAndRead(NativeMethods.duckdb_struct_vector_get_child(vector, (ulong)i), row);
        }

        return values;
    }
}

/// <summary>A MAP is a LIST of STRUCT(key, value); keys are never NULL.</summary>
internal sealed unsafe class MapReader(ColumnReader key, ColumnReader value) : ColumnReader<Dictionary<object, object?>>("MAP")
{
    public static MapReader FromType(nint logicalType)
    {
        var entryType = NativeMethods.duckdb_list_type_child_type(logicalType);
        try
        {
            var entry = StructReader.FromType(entryType);
            return new MapReader(entry.Field(0), entry.Field(1));
        }
        finally
        {
            NativeMethods.duckdb_destroy_logical_type(ref entryType);
        }
    }

    public override Dictionary<object, object?> ReadValue(nint vector, ulong row)
    {
        var entry = Data<DuckDBListEntry>(vector)[row];
        var entries = NativeMethods.duckdb_list_vector_get_child(vector);
        var keys = NativeMethods.duckdb_struct_vector_get_child(entries, 0);
        var values = NativeMethods.duckdb_struct_vector_get_child(entries, 1);
        var map = new Dictionary<object, object?>((int)entry.Length);
        for (var i = entry.Offset; i < entry.Offset + entry.Length; i++)
        {
            map[key.Read(keys, i)] = value.IsValidAndRead(values, i);
        }

        return map;
    }
}

internal sealed class NullReader() : ColumnReader(typeof(object), "NULL")
{
    public override object Read(nint vector, ulong row) => DBNull.Value;
}

internal sealed class UnsupportedReader(string typeName) : ColumnReader(typeof(object), typeName)
{
    public override object Read(nint vector, ulong row) =>
        throw new NotSupportedException($"Reading DuckDB type {TypeName} is not supported; cast it in SQL (for example to VARCHAR).");
}

internal static class ColumnReaderExtensions
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static object? IsValidAndRead(this ColumnReader reader, nint vector, ulong row) =>
        ColumnReader.IsValid(vector, row) ? reader.Read(vector, row) : null;
}
