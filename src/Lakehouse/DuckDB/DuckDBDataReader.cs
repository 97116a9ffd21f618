using System.Collections;
using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using IceGate.Lakehouse.DuckDB.Internal;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>
/// Streams the results of a <see cref="DuckDBCommand"/> one DuckDB data chunk (up to 2,048 rows) at a
/// time, so a result of any size needs memory for one chunk only.
/// </summary>
/// <remarks>
/// Statements of a batch run one by one: the reader starts on the first statement that returns
/// rows, and <see cref="NextResult"/> runs statements up to the next one that does. Values map to
/// CLR types as: integers to their sized types, HUGEINT to <see cref="Int128"/>, DECIMAL to
/// <see cref="decimal"/>, VARCHAR and ENUM to <see cref="string"/>, BLOB to <c>byte[]</c>, DATE to
/// <see cref="DateOnly"/>, TIME to <see cref="TimeOnly"/>, TIMESTAMP (any precision) to
/// <see cref="DateTime"/>, TIMESTAMPTZ to a UTC <see cref="DateTimeOffset"/>, UUID to
/// <see cref="Guid"/>, LIST and ARRAY to <c>List&lt;object?&gt;</c>, STRUCT to
/// <c>Dictionary&lt;string, object?&gt;</c>, MAP to <c>Dictionary&lt;object, object?&gt;</c>; NULL
/// to <see cref="DBNull"/> at the top level and <c>null</c> inside nested values.
/// </remarks>
public sealed unsafe partial class DuckDBDataReader : DbDataReader
{
    private readonly DuckDBCommand _command;
    private readonly DuckDBConnection _connection;
    private readonly CommandBehavior _behavior;
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenRegistration _cancellation;
    private readonly Timer? _timeout;
    private readonly DuckDBResult* _result;
    private nint _extracted;
    private ulong _statementCount;
    private ulong _nextStatement;
    private nint _prepared;
    private bool _hasResult;
    private (string Name, ColumnReader Reader)[] _columns = [];
    private nint[] _vectors = [];
    private nint _chunk;
    private ulong _chunkSize;
    private ulong _row;
    private bool _chunkUnread;
    private bool _exhausted;
    private volatile bool _timedOut;
    private int _recordsAffected = -1;
    private bool _closed;

    internal DuckDBDataReader(DuckDBCommand command, DuckDBConnection connection, CommandBehavior behavior, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var handle = connection.Handle;
        connection.EnterReader(this);
        _command = command;
        _connection = connection;
        _behavior = behavior;
        _cancellationToken = cancellationToken;
        _result = (DuckDBResult*)NativeMemory.AllocZeroed((nuint)sizeof(DuckDBResult));
        try
        {
            _cancellation = cancellationToken.UnsafeRegister(static state => ((DuckDBConnection)state!).Interrupt(), connection);
            if (command.CommandTimeout > 0)
            {
                _timeout = new Timer(static state => ((DuckDBDataReader)state!).OnTimeout(), this, TimeSpan.FromSeconds(command.CommandTimeout), Timeout.InfiniteTimeSpan);
            }

            _statementCount = NativeMethods.duckdb_extract_statements(handle, command.CommandText, out _extracted);
            if (_statementCount == 0)
            {
                NativeErrors.ThrowFromMessage(NativeMethods.duckdb_extract_statements_error(_extracted), "The SQL text holds no statement.");
            }

            MoveToNextQueryResult();
        }
        catch
        {
            Close();
            throw;
        }
    }

    /// <inheritdoc />
    public override int Depth => 0;

    /// <inheritdoc />
    public override int FieldCount => _columns.Length;

    /// <inheritdoc />
    public override bool HasRows
    {
        get
        {
            ThrowIfClosed();
            if (_chunk != 0)
            {
                return true;
            }

            if (!_hasResult || _exhausted)
            {
                return false;
            }

            _chunkUnread = FetchChunk();
            return _chunkUnread;
        }
    }

    /// <inheritdoc />
    public override bool IsClosed => _closed;

    /// <summary>Rows changed by the INSERT, UPDATE and DELETE statements run so far; -1 if none ran.</summary>
    public override int RecordsAffected => _recordsAffected;

    /// <inheritdoc />
    public override object this[int ordinal] => GetValue(ordinal);

    /// <inheritdoc />
    public override object this[string name] => GetValue(GetOrdinal(name));

    /// <inheritdoc />
    public override bool Read()
    {
        ThrowIfClosed();
        if (!_hasResult || _exhausted)
        {
            return false;
        }

        if (_chunkUnread)
        {
            _chunkUnread = false;
            return true;
        }

        if (_chunk != 0 && ++_row < _chunkSize)
        {
            return true;
        }

        return FetchChunk();
    }

    /// <inheritdoc />
    public override bool NextResult()
    {
        ThrowIfClosed();
        return MoveToNextQueryResult();
    }

    /// <inheritdoc />
    public override string GetName(int ordinal) => Column(ordinal).Name;

    /// <inheritdoc />
    public override int GetOrdinal(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var ignoringCase = -1;
        for (var i = 0; i < _columns.Length; i++)
        {
            if (string.Equals(_columns[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }

            if (ignoringCase < 0 && string.Equals(_columns[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                ignoringCase = i;
            }
        }

        return ignoringCase >= 0 ? ignoringCase : throw new IndexOutOfRangeException($"The result has no column named '{name}'.");
    }

    /// <summary>DuckDB's name for the column's type, such as <c>BIGINT</c> or <c>MAP</c>.</summary>
    public override string GetDataTypeName(int ordinal) => Column(ordinal).Reader.TypeName;

    /// <inheritdoc />
    public override Type GetFieldType(int ordinal) => Column(ordinal).Reader.ClrType;

    /// <inheritdoc />
    public override bool IsDBNull(int ordinal)
    {
        var vector = CurrentVector(ordinal);
        return !ColumnReader.IsValid(vector, _row);
    }

    /// <inheritdoc />
    public override object GetValue(int ordinal)
    {
        var vector = CurrentVector(ordinal);
        return ColumnReader.IsValid(vector, _row) ? _columns[ordinal].Reader.Read(vector, _row) : DBNull.Value;
    }

    /// <inheritdoc />
    public override int GetValues(object[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var count = Math.Min(values.Length, _columns.Length);
        for (var i = 0; i < count; i++)
        {
            values[i] = GetValue(i);
        }

        return count;
    }

    /// <summary>
    /// Reads a value as <typeparamref name="T"/>: without boxing when <typeparamref name="T"/> is the
    /// column's own CLR type, else by conversion between numeric types. NULL gives null for nullable
    /// <typeparamref name="T"/> and throws <see cref="InvalidCastException"/> otherwise.
    /// </summary>
    public override T GetFieldValue<T>(int ordinal)
    {
        var vector = CurrentVector(ordinal);
        var reader = _columns[ordinal].Reader;
        if (!ColumnReader.IsValid(vector, _row))
        {
            return default(T) is null && typeof(T) != typeof(DBNull)
                ? default!
                : typeof(T) == typeof(DBNull) ? (T)(object)DBNull.Value : ThrowNull<T>(ordinal);
        }

        if (reader is ColumnReader<T> typed)
        {
            return typed.ReadValue(vector, _row);
        }

        var value = reader.Read(vector, _row);
        if (value is T same)
        {
            return same;
        }

        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return IsNumeric(value.GetType()) && IsNumeric(target)
            ? (T)ConvertNumber(value, target)
            : throw new InvalidCastException($"Column '{_columns[ordinal].Name}' is {reader.TypeName} ({reader.ClrType.Name}), which cannot be read as {typeof(T).Name}.");
    }

    /// <inheritdoc />
    public override bool GetBoolean(int ordinal) => GetFieldValue<bool>(ordinal);

    /// <inheritdoc />
    public override byte GetByte(int ordinal) => GetFieldValue<byte>(ordinal);

    /// <inheritdoc />
    public override char GetChar(int ordinal) => GetFieldValue<string>(ordinal) is [var first] ? first : throw new InvalidCastException("The value is not a single character.");

    /// <inheritdoc />
    public override DateTime GetDateTime(int ordinal) => GetFieldValue<DateTime>(ordinal);

    /// <inheritdoc />
    public override decimal GetDecimal(int ordinal) => GetFieldValue<decimal>(ordinal);

    /// <inheritdoc />
    public override double GetDouble(int ordinal) => GetFieldValue<double>(ordinal);

    /// <inheritdoc />
    public override float GetFloat(int ordinal) => GetFieldValue<float>(ordinal);

    /// <inheritdoc />
    public override Guid GetGuid(int ordinal) => GetFieldValue<Guid>(ordinal);

    /// <inheritdoc />
    public override short GetInt16(int ordinal) => GetFieldValue<short>(ordinal);

    /// <inheritdoc />
    public override int GetInt32(int ordinal) => GetFieldValue<int>(ordinal);

    /// <inheritdoc />
    public override long GetInt64(int ordinal) => GetFieldValue<long>(ordinal);

    /// <inheritdoc />
    public override string GetString(int ordinal) => GetFieldValue<string>(ordinal);

    /// <inheritdoc />
    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) =>
        CopyOut(GetFieldValue<byte[]>(ordinal), dataOffset, buffer, bufferOffset, length);

    /// <inheritdoc />
    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) =>
        CopyOut(GetFieldValue<string>(ordinal).ToCharArray(), dataOffset, buffer, bufferOffset, length);

    /// <inheritdoc />
    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);

    /// <inheritdoc />
    public override void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _cancellation.Dispose();
        _timeout?.Dispose();
        CloseResult();
        if (_extracted != 0)
        {
            NativeMethods.duckdb_destroy_extracted(ref _extracted);
        }

        NativeMemory.Free(_result);
        _connection.LeaveReader(this);
        if ((_behavior & CommandBehavior.CloseConnection) != 0)
        {
            _connection.Close();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        Close();
        base.Dispose(disposing);
    }

    private static long CopyOut<T>(T[] source, long dataOffset, T[]? buffer, int bufferOffset, int length)
    {
        if (buffer is null)
        {
            return source.Length;
        }

        var count = (int)Math.Max(0, Math.Min(length, source.Length - dataOffset));
        Array.Copy(source, dataOffset, buffer, bufferOffset, count);
        return count;
    }

    private static bool IsNumeric(Type type) =>
        type == typeof(Int128) || type == typeof(UInt128) || type == typeof(decimal) || (type.IsPrimitive && type != typeof(bool) && type != typeof(char) && type != typeof(nint) && type != typeof(nuint));

    /// <summary>
    /// Checked conversion between numeric types. DuckDB widens aggregates (sum of BIGINT is
    /// HUGEINT), so reading a sum as <see cref="long"/> must work, and fail loudly if it overflows.
    /// </summary>
    private static object ConvertNumber(object value, Type target)
    {
        if (target == typeof(Int128) || target == typeof(UInt128))
        {
            var wide = value switch
            {
                Int128 v => v,
                UInt128 v => checked((Int128)v),
                float or double => checked((Int128)Convert.ToDouble(value, CultureInfo.InvariantCulture)),
                _ => (Int128)Convert.ToDecimal(value, CultureInfo.InvariantCulture),
            };
            return target == typeof(Int128) ? wide : checked((UInt128)wide);
        }

        var convertible = value switch
        {
            Int128 v => (object)(decimal)v,
            UInt128 v => (decimal)v,
            _ => value,
        };
        return Convert.ChangeType(convertible, target, CultureInfo.InvariantCulture);
    }

    [DoesNotReturn]
    private T ThrowNull<T>(int ordinal) => throw new InvalidCastException($"Column '{_columns[ordinal].Name}' is NULL in this row; read it as a nullable type.");

    private (string Name, ColumnReader Reader) Column(int ordinal)
    {
        ThrowIfClosed();
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)ordinal, (uint)_columns.Length, nameof(ordinal));
        return _columns[ordinal];
    }

    private nint CurrentVector(int ordinal)
    {
        Column(ordinal);
        if (_chunk == 0 || _chunkUnread)
        {
            throw new InvalidOperationException("There is no current row: call Read first, and only while it returns true.");
        }

        return _vectors[ordinal];
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, this);

    private void OnTimeout()
    {
        _timedOut = true;
        _connection.Interrupt();
    }

    /// <summary>Runs statements until one returns rows (true) or none are left (false).</summary>
    private bool MoveToNextQueryResult()
    {
        CloseResult();
        while (_nextStatement < _statementCount)
        {
            Execute(_nextStatement++);
            switch (NativeMethods.duckdb_result_return_type(*_result))
            {
                case DuckDBResultType.QueryResult:
                    DescribeColumns();
                    return true;
                case DuckDBResultType.ChangedRows:
                    _recordsAffected = Math.Max(_recordsAffected, 0) + (int)ReadChangedRowCount();
                    break;
            }

            CloseResult();
        }

        return false;
    }

    private void Execute(ulong statement)
    {
        var connection = _connection.Handle;
        if (NativeMethods.duckdb_prepare_extracted_statement(connection, _extracted, statement, out _prepared) != DuckDBState.Success)
        {
            var message = Utf8Text.FromNative(NativeMethods.duckdb_prepare_error(_prepared));
            ThrowMapped(NativeErrors.ClassifyMessage(message), message);
        }

        ParameterBinder.Bind(_prepared, _command.Parameters);
        var state = NativeMethods.duckdb_execute_prepared_streaming(_prepared, _result);
        _hasResult = true;
        if (state != DuckDBState.Success)
        {
            ThrowResultError();
        }
    }

    private void DescribeColumns()
    {
        var count = (int)NativeMethods.duckdb_column_count(_result);
        _columns = new (string, ColumnReader)[count];
        _vectors = new nint[count];
        for (var i = 0; i < count; i++)
        {
            var type = NativeMethods.duckdb_column_logical_type(_result, (ulong)i);
            try
            {
                _columns[i] = (Utf8Text.FromNative(NativeMethods.duckdb_column_name(_result, (ulong)i)), ColumnReader.Create(type));
            }
            finally
            {
                NativeMethods.duckdb_destroy_logical_type(ref type);
            }
        }
    }

    /// <summary>DuckDB reports INSERT/UPDATE/DELETE as one row with one BIGINT: the count.</summary>
    private long ReadChangedRowCount()
    {
        if (!FetchChunk())
        {
            return 0;
        }

        return ((long*)NativeMethods.duckdb_vector_get_data(_vectors[0]))[0];
    }

    private bool FetchChunk()
    {
        DestroyChunk();
        while (true)
        {
            _chunk = NativeMethods.duckdb_fetch_chunk(*_result);
            if (_chunk == 0)
            {
                if (NativeMethods.duckdb_result_error(_result) is not null)
                {
                    ThrowResultError();
                }

                _exhausted = true;
                return false;
            }

            _chunkSize = NativeMethods.duckdb_data_chunk_get_size(_chunk);
            _chunkExported = false;
            if (_chunkSize > 0)
            {
                break;
            }

            DestroyChunk();
        }

        if (_vectors.Length == 0)
        {
            _vectors = new nint[NativeMethods.duckdb_column_count(_result)];
        }

        for (var i = 0; i < _vectors.Length; i++)
        {
            _vectors[i] = NativeMethods.duckdb_data_chunk_get_vector(_chunk, (ulong)i);
        }

        _row = 0;
        return true;
    }

    [DoesNotReturn]
    private void ThrowResultError() =>
        ThrowMapped(NativeMethods.duckdb_result_error_type(_result), Utf8Text.FromNative(NativeMethods.duckdb_result_error(_result)));

    /// <summary>An interrupt caused by our token or timeout is reported as such, not as a DuckDB failure.</summary>
    [DoesNotReturn]
    private void ThrowMapped(DuckDBErrorType type, string message)
    {
        if (type == DuckDBErrorType.Interrupt)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (_timedOut)
            {
                throw new DuckDBException($"The query exceeded the command timeout of {_command.CommandTimeout} s and was interrupted.", DuckDBErrorType.Interrupt);
            }
        }

        throw new DuckDBException(message, type);
    }

    private void DestroyChunk()
    {
        _chunkUnread = false;
        if (_chunk != 0)
        {
            NativeMethods.duckdb_destroy_data_chunk(ref _chunk);
        }
    }

    private void CloseResult()
    {
        DestroyChunk();
        if (_arrowOptions != 0)
        {
            NativeMethods.duckdb_destroy_arrow_options(ref _arrowOptions);
        }

        if (_hasResult)
        {
            NativeMethods.duckdb_destroy_result(_result);
            _hasResult = false;
        }

        if (_prepared != 0)
        {
            NativeMethods.duckdb_destroy_prepare(ref _prepared);
        }

        _columns = [];
        _vectors = [];
        _exhausted = false;
    }
}
