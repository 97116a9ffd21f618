using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>
/// A parameter of a <see cref="DuckDBCommand"/>. A named parameter binds <c>$name</c> in the SQL
/// (a leading <c>$</c>, <c>@</c> or <c>:</c> in <see cref="ParameterName"/> is ignored); an unnamed
/// one binds <c>?</c> / <c>$1</c> by its position in the collection. The CLR type of
/// <see cref="Value"/> decides the DuckDB type.
/// </summary>
/// <remarks>
/// In DuckDB SQL, <c>@x</c> is the <c>abs()</c> operator, not a parameter: write <c>$x</c>.
/// </remarks>
public sealed class DuckDBParameter : DbParameter
{
    private string _parameterName = string.Empty;

    /// <summary>Creates an unnamed parameter with no value.</summary>
    public DuckDBParameter()
    {
    }

    /// <summary>Creates a named parameter.</summary>
    public DuckDBParameter(string name, object? value)
    {
        ParameterName = name;
        Value = value;
    }

    /// <summary>Creates an unnamed (positional) parameter.</summary>
    public DuckDBParameter(object? value) => Value = value;

    /// <inheritdoc />
    public override DbType DbType { get; set; } = DbType.Object;

    /// <summary>Only <see cref="ParameterDirection.Input"/> is supported.</summary>
    public override ParameterDirection Direction
    {
        get => ParameterDirection.Input;
        set
        {
            if (value != ParameterDirection.Input)
            {
                throw new ArgumentException("DuckDB parameters are input only.", nameof(value));
            }
        }
    }

    /// <inheritdoc />
    public override bool IsNullable { get; set; }

    /// <inheritdoc />
    [AllowNull]
    public override string ParameterName
    {
        get => _parameterName;
        set => _parameterName = value ?? string.Empty;
    }

    /// <inheritdoc />
    public override int Size { get; set; }

    /// <inheritdoc />
    [AllowNull]
    public override string SourceColumn { get; set; } = string.Empty;

    /// <inheritdoc />
    public override bool SourceColumnNullMapping { get; set; }

    /// <inheritdoc />
    public override object? Value { get; set; }

    /// <summary>The name as DuckDB knows it: without a <c>$</c>, <c>@</c> or <c>:</c> prefix.</summary>
    internal string BindName => _parameterName.Length > 0 && _parameterName[0] is '$' or '@' or ':' ? _parameterName[1..] : _parameterName;

    /// <inheritdoc />
    public override void ResetDbType() => DbType = DbType.Object;
}
