using System.Collections;
using System.Data.Common;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>The parameters of a <see cref="DuckDBCommand"/>.</summary>
public sealed class DuckDBParameterCollection : DbParameterCollection
{
    private readonly List<DuckDBParameter> _parameters = [];

    /// <inheritdoc />
    public override int Count => _parameters.Count;

    /// <inheritdoc />
    public override object SyncRoot => ((ICollection)_parameters).SyncRoot;

    /// <summary>Adds a named parameter, for <c>$name</c> in the SQL.</summary>
    public DuckDBParameter Add(string name, object? value)
    {
        var parameter = new DuckDBParameter(name, value);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>Adds a positional parameter, for the next <c>?</c> or <c>$n</c> in the SQL.</summary>
    public DuckDBParameter AddPositional(object? value)
    {
        var parameter = new DuckDBParameter(value);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <inheritdoc />
    public override int Add(object value)
    {
        _parameters.Add(Cast(value));
        return _parameters.Count - 1;
    }

    /// <inheritdoc />
    public override void AddRange(Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var value in values)
        {
            Add(value!);
        }
    }

    /// <inheritdoc />
    public override void Clear() => _parameters.Clear();

    /// <inheritdoc />
    public override bool Contains(object value) => value is DuckDBParameter p && _parameters.Contains(p);

    /// <inheritdoc />
    public override bool Contains(string value) => IndexOf(value) >= 0;

    /// <inheritdoc />
    public override void CopyTo(Array array, int index) => ((ICollection)_parameters).CopyTo(array, index);

    /// <inheritdoc />
    public override IEnumerator GetEnumerator() => _parameters.GetEnumerator();

    /// <inheritdoc />
    public override int IndexOf(object value) => value is DuckDBParameter p ? _parameters.IndexOf(p) : -1;

    /// <inheritdoc />
    public override int IndexOf(string parameterName) =>
        _parameters.FindIndex(p => p.ParameterName == parameterName || p.BindName == parameterName);

    /// <inheritdoc />
    public override void Insert(int index, object value) => _parameters.Insert(index, Cast(value));

    /// <inheritdoc />
    public override void Remove(object value) => _parameters.Remove(Cast(value));

    /// <inheritdoc />
    public override void RemoveAt(int index) => _parameters.RemoveAt(index);

    /// <inheritdoc />
    public override void RemoveAt(string parameterName) => RemoveAt(IndexOfExisting(parameterName));

    internal DuckDBParameter Get(int index) => _parameters[index];

    /// <inheritdoc />
    protected override DbParameter GetParameter(int index) => _parameters[index];

    /// <inheritdoc />
    protected override DbParameter GetParameter(string parameterName) => _parameters[IndexOfExisting(parameterName)];

    /// <inheritdoc />
    protected override void SetParameter(int index, DbParameter value) => _parameters[index] = Cast(value);

    /// <inheritdoc />
    protected override void SetParameter(string parameterName, DbParameter value) => _parameters[IndexOfExisting(parameterName)] = Cast(value);

    private int IndexOfExisting(string parameterName)
    {
        var index = IndexOf(parameterName);
        return index >= 0 ? index : throw new ArgumentException($"No parameter named '{parameterName}'.", nameof(parameterName));
    }

    private static DuckDBParameter Cast(object value) =>
        value as DuckDBParameter ?? throw new ArgumentException($"Expected a {nameof(DuckDBParameter)}, got {value?.GetType().Name ?? "null"}.", nameof(value));
}
