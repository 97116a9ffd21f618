using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace IceGate.Lakehouse.DuckDB.Internal;

internal static unsafe class ParameterBinder
{
    private const int StackEncodingLimit = 512;

    /// <summary>
    /// Binds the parameters a prepared statement uses. A named parameter the statement does not
    /// mention is skipped (one collection serves every statement of a batch, and Dapper passes
    /// whole objects); a parameter the statement needs but nobody supplied fails in DuckDB.
    /// </summary>
    public static void Bind(nint prepared, DuckDBParameterCollection parameters)
    {
        var statementParameters = NativeMethods.duckdb_nparams(prepared);
        ulong position = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters.Get(i);
            ulong index;
            if (parameter.BindName.Length == 0)
            {
                index = ++position;
                if (index > statementParameters)
                {
                    continue;
                }
            }
            else if (NativeMethods.duckdb_bind_parameter_index(prepared, out index, parameter.BindName) != DuckDBState.Success)
            {
                continue;
            }

            if (BindValue(prepared, index, parameter.Value, parameter.ParameterName) != DuckDBState.Success)
            {
                NativeErrors.ThrowFromMessage(NativeMethods.duckdb_prepare_error(prepared), $"DuckDB rejected the value of parameter '{Describe(parameter, index)}'.");
            }
        }
    }

    private static string Describe(DuckDBParameter parameter, ulong index) => parameter.ParameterName.Length > 0 ? parameter.ParameterName : $"${index}";

    private static DuckDBState BindValue(nint prepared, ulong index, object? value, string name) => value switch
    {
        null or DBNull => NativeMethods.duckdb_bind_null(prepared, index),
        bool v => NativeMethods.duckdb_bind_boolean(prepared, index, v),
        sbyte v => NativeMethods.duckdb_bind_int8(prepared, index, v),
        short v => NativeMethods.duckdb_bind_int16(prepared, index, v),
        int v => NativeMethods.duckdb_bind_int32(prepared, index, v),
        long v => NativeMethods.duckdb_bind_int64(prepared, index, v),
        Int128 v => NativeMethods.duckdb_bind_hugeint(prepared, index, DuckDBHugeInt.From(v)),
        byte v => NativeMethods.duckdb_bind_uint8(prepared, index, v),
        ushort v => NativeMethods.duckdb_bind_uint16(prepared, index, v),
        uint v => NativeMethods.duckdb_bind_uint32(prepared, index, v),
        ulong v => NativeMethods.duckdb_bind_uint64(prepared, index, v),
        float v => NativeMethods.duckdb_bind_float(prepared, index, v),
        double v => NativeMethods.duckdb_bind_double(prepared, index, v),
        decimal v => NativeMethods.duckdb_bind_decimal(prepared, index, ToDuckDBDecimal(v)),
        string v => BindString(prepared, index, v),
        byte[] v => BindBlob(prepared, index, v),
        ReadOnlyMemory<byte> v => BindBlob(prepared, index, v.Span),
        DateTime v => NativeMethods.duckdb_bind_timestamp(prepared, index, (v.Ticks - ColumnReader.UnixEpochTicks) / 10),
        DateTimeOffset v => NativeMethods.duckdb_bind_timestamp_tz(prepared, index, (v.UtcTicks - ColumnReader.UnixEpochTicks) / 10),
        DateOnly v => NativeMethods.duckdb_bind_date(prepared, index, v.DayNumber - ColumnReader.UnixEpochDayNumber),
        TimeOnly v => NativeMethods.duckdb_bind_time(prepared, index, v.Ticks / 10),
        TimeSpan v => NativeMethods.duckdb_bind_interval(prepared, index, new DuckDBInterval { Days = v.Days, Micros = v.Ticks % TimeSpan.TicksPerDay / 10 }),
        Guid v => BindUuid(prepared, index, v),
        Enum v => NativeMethods.duckdb_bind_int64(prepared, index, Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException($"Parameter '{name}' holds a {value.GetType().Name}, which cannot be bound to a DuckDB parameter."),
    };

    private static DuckDBState BindString(nint prepared, ulong index, string value)
    {
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var buffer = length <= StackEncodingLimit ? stackalloc byte[StackEncodingLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(value, buffer);
            fixed (byte* bytes = buffer)
            {
                return NativeMethods.duckdb_bind_varchar_length(prepared, index, bytes, (ulong)written);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static DuckDBState BindBlob(nint prepared, ulong index, ReadOnlySpan<byte> value)
    {
        fixed (byte* bytes = value)
        {
            return NativeMethods.duckdb_bind_blob(prepared, index, bytes, (ulong)value.Length);
        }
    }

    private static DuckDBState BindUuid(nint prepared, ulong index, Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);
        var uuid = NativeMethods.duckdb_create_uuid(new DuckDBHugeInt(BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), (long)BinaryPrimitives.ReadUInt64BigEndian(bytes)));
        try
        {
            return NativeMethods.duckdb_bind_value(prepared, index, uuid);
        }
        finally
        {
            NativeMethods.duckdb_destroy_value(ref uuid);
        }
    }

    private static DuckDBDecimal ToDuckDBDecimal(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var magnitude = ((UInt128)(uint)bits[2] << 64) | ((UInt128)(uint)bits[1] << 32) | (uint)bits[0];
        var unscaled = bits[3] < 0 ? -(Int128)magnitude : (Int128)magnitude;

        // 38 is DuckDB's widest DECIMAL and holds every System.Decimal (at most 29 digits).
        return new DuckDBDecimal { Width = 38, Scale = (byte)((bits[3] >> 16) & 0xFF), Value = DuckDBHugeInt.From(unscaled) };
    }
}
