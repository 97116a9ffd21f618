using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using IceGate.Catalog;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Index;

namespace IceGate.QueryApi;

/// <summary>What a checked statement reads: the signal tables it names, and for each the predicates files can be pruned by.</summary>
/// <param name="Tables">The signal tables the statement names.</param>
/// <param name="Pruning">Per table, the time range and equalities every row the statement reads from it satisfies.</param>
/// <param name="Columns">Every name the statement uses as a column (over all its tables; it may name more than exist), or null when it reads whole rows (<c>*</c>, a natural join, a table as a value): the columns a query may need from a data file.</param>
public sealed record SqlAnalysis(IReadOnlyList<string> Tables, IReadOnlyDictionary<string, ScanRequest> Pruning, IReadOnlySet<string>? Columns = null);

/// <summary>
/// Checks a client's SQL with DuckDB's own parser (<c>json_serialize_sql</c>) before anything runs:
/// exactly one SELECT (or WITH … SELECT) statement whose tables are only <c>logs</c>, <c>spans</c>,
/// <c>metrics</c> and its own CTEs: no table functions (so no <c>read_csv('/etc/passwd')</c>), no
/// schema- or catalog-qualified names, no files named as tables, no DuckDB time travel clauses.
/// Everything else (COPY, ATTACH, INSTALL, SET, PRAGMA, several statements) the serializer itself
/// refuses. The engine also runs DuckDB with file access limited to this query's files, so this
/// check is the first of two walls.
/// </summary>
public static partial class SqlAnalyzer
{
    /// <summary>The deepest parse tree (in JSON levels, a few per nested expression) a statement may have.</summary>
    public const int MaxTreeDepth = 512;

    // The columns with a membership filter in every data file's index.
    private static readonly HashSet<string> s_indexedColumns = new(StringComparer.Ordinal) { FileIndex.TraceId, FileIndex.SpanId };

    private static readonly Dictionary<string, TableDefinition> s_tables = TableSchemas.All.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);

    // The table references a statement may contain besides base tables.
    private static readonly HashSet<string> s_allowedReferences = ["BASE_TABLE", "JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST", "PIVOT", "SHOW_REF"];

    /// <summary>Parses and checks <paramref name="sql"/>; throws <see cref="QueryException"/> (400) when it is not allowed.</summary>
    public static SqlAnalysis Analyze(DuckDBConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (string.IsNullOrWhiteSpace(sql))
        {
            throw new QueryException(400, "The query is empty.");
        }

        using var document = Serialize(connection, sql);
        var root = document.RootElement;
        if (root.GetProperty("error").GetBoolean())
        {
            var message = root.TryGetProperty("error_message", out var m) ? m.GetString() : "The query could not be parsed.";
            throw new QueryException(400, message is not null && message.StartsWith("Only SELECT", StringComparison.Ordinal)
                ? "Only one read-only SELECT (or WITH … SELECT) statement is allowed."
                : message ?? "The query could not be parsed.");
        }

        var statements = root.GetProperty("statements");
        if (statements.GetArrayLength() != 1)
        {
            throw new QueryException(400, $"Exactly one statement is allowed; the query has {statements.GetArrayLength()}.");
        }

        var walk = new Walk();
        walk.CollectCtes(statements[0]);
        walk.Check(statements[0]);
        var pruning = new Dictionary<string, ScanRequest>(StringComparer.Ordinal);
        foreach (var table in walk.References.Distinct())
        {
            // Pruning by a WHERE clause is sound only if that clause filters every read of the table.
            var reads = walk.Selects.Where(s => s.Table == table).ToList();
            pruning[table] = walk.References.Count(r => r == table) == 1 && !walk.Ctes.Contains(table) && reads.Count == 1
                ? Predicates(s_tables[table].Schema, reads[0])
                : new ScanRequest();
        }

        return new SqlAnalysis([.. walk.References.Distinct()], pruning, walk.ReadsWholeRows ? null : walk.Columns);
    }

    /// <summary>The column names a statement IceGate wrote itself uses (see <see cref="SqlAnalysis.Columns"/>), without checking it.</summary>
    internal static IReadOnlySet<string>? NamedColumns(DuckDBConnection connection, string sql)
    {
        using var document = Serialize(connection, sql);
        if (document.RootElement.GetProperty("error").GetBoolean())
        {
            return null;
        }

        var walk = new Walk();
        foreach (var statement in document.RootElement.GetProperty("statements").EnumerateArray())
        {
            walk.Collect(statement);
        }

        return walk.ReadsWholeRows ? null : walk.Columns;
    }

    private static JsonDocument Serialize(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT json_serialize_sql($sql::VARCHAR)";
        command.Parameters.Add(new DuckDBParameter("sql", sql));
        return ParseTree((string)command.ExecuteScalar()!);
    }

    /// <summary>
    /// DuckDB's parse tree as JSON, refused past <see cref="MaxTreeDepth"/>: the checks below walk it
    /// recursively, and DuckDB's own expression depth limit (1,000) allows a tree several times deeper.
    /// </summary>
    private static JsonDocument ParseTree(string json)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxTreeDepth });
        }
        catch (JsonException)
        {
            throw new QueryException(400, $"The query nests too deeply: its parse tree is over {MaxTreeDepth} levels deep, the most IceGate accepts.");
        }
    }

    private static ScanRequest Predicates(IcebergSchema schema, (string Table, string Alias, JsonElement Node) read)
    {
        var request = new ScanRequest();
        var equalities = new Dictionary<string, object>(StringComparer.Ordinal);
        var needles = new List<IndexNeedle>();
        if (!read.Node.TryGetProperty("where_clause", out var where) || where.ValueKind != JsonValueKind.Object)
        {
            return request;
        }

        // A select-list alias may shadow a column in WHERE; such names are left alone.
        var aliases = read.Node.GetProperty("select_list").EnumerateArray().Select(e => e.GetProperty("alias").GetString() ?? string.Empty).Where(a => a.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var conjunct in Conjuncts(where))
        {
            var kind = conjunct.GetProperty("type").GetString();
            if (kind == "COMPARE_BETWEEN")
            {
                if (ColumnOf(conjunct.GetProperty("input"), read, aliases) == "timestamp" && MicrosOf(conjunct.GetProperty("lower")) is { } low && MicrosOf(conjunct.GetProperty("upper")) is { } high)
                {
                    request = request with { FromMicros = Max(request.FromMicros, low), ToMicros = Min(request.ToMicros, high + 1) };
                }

                continue;
            }

            if (kind == "COMPARE_IN" && InNeedle(conjunct, read, aliases) is { } within)
            {
                needles.Add(within);
                continue;
            }

            if (conjunct.GetProperty("class").GetString() != "COMPARISON")
            {
                continue;
            }

            var (left, right) = (conjunct.GetProperty("left"), conjunct.GetProperty("right"));
            if (kind == "COMPARE_EQUAL" && (AttributeNeedle(left, right, schema, read, aliases) ?? AttributeNeedle(right, left, schema, read, aliases)) is { } attribute)
            {
                needles.Add(attribute);
                continue;
            }

            var flipped = ColumnOf(left, read, aliases) is null;
            var column = ColumnOf(flipped ? right : left, read, aliases);
            var constant = flipped ? left : right;
            if (column is null)
            {
                continue;
            }

            if (column == "timestamp" && MicrosOf(constant) is { } micros)
            {
                switch (flipped ? Flip(kind) : kind)
                {
                    case "COMPARE_EQUAL":
                        request = request with { FromMicros = Max(request.FromMicros, micros), ToMicros = Min(request.ToMicros, micros + 1) };
                        break;
                    case "COMPARE_GREATERTHANOREQUALTO":
                        request = request with { FromMicros = Max(request.FromMicros, micros) };
                        break;
                    case "COMPARE_GREATERTHAN":
                        request = request with { FromMicros = Max(request.FromMicros, micros + 1) };
                        break;
                    case "COMPARE_LESSTHAN":
                        request = request with { ToMicros = Min(request.ToMicros, micros) };
                        break;
                    case "COMPARE_LESSTHANOREQUALTO":
                        request = request with { ToMicros = Min(request.ToMicros, micros + 1) };
                        break;
                }
            }
            else if (kind == "COMPARE_EQUAL" && schema.Fields.FirstOrDefault(f => f.Name == column) is { Type: PrimitiveType type } && ValueOf(constant, type) is { } value)
            {
                equalities[column] = value;
                if (s_indexedColumns.Contains(column) && value is string id)
                {
                    needles.Add(new IndexNeedle(column, [id]));
                }
            }
        }

        return request with { Equalities = equalities, Needles = needles };
    }

    /// <summary><c>trace_id IN ('…', …)</c> (or <c>span_id</c>) with only string constants.</summary>
    private static IndexNeedle? InNeedle(JsonElement conjunct, (string Table, string Alias, JsonElement Node) read, HashSet<string> aliases)
    {
        var children = conjunct.GetProperty("children").EnumerateArray().ToList();
        if (children.Count < 2 || ColumnOf(children[0], read, aliases) is not { } column || !s_indexedColumns.Contains(column))
        {
            return null;
        }

        var values = children.Skip(1).Select(c => ValueOf(c, PrimitiveType.String) as string).ToList();
        return values.Any(v => v is null) ? null : new IndexNeedle(column, values!);
    }

    /// <summary><c>attributes_map['key'] = 'value'</c>: a string map column of the table, a constant key and a constant value.</summary>
    private static IndexNeedle? AttributeNeedle(JsonElement access, JsonElement constant, IcebergSchema schema, (string Table, string Alias, JsonElement Node) read, HashSet<string> aliases)
    {
        if (access.GetProperty("type").GetString() != "ARRAY_EXTRACT" || access.GetProperty("children").EnumerateArray().ToList() is not [var map, var key]
            || ColumnOf(map, read, aliases) is not { } column || schema.Fields.FirstOrDefault(f => f.Name == column) is not { Type: MapType { Value: PrimitiveType { Name: "string" } } }
            || ValueOf(key, PrimitiveType.String) is not string name || ValueOf(constant, PrimitiveType.String) is not string value)
        {
            return null;
        }

        return new IndexNeedle(FileIndex.AttributeFilter(name), [value]);
    }

    private static IEnumerable<JsonElement> Conjuncts(JsonElement expression) =>
        expression.GetProperty("type").GetString() == "CONJUNCTION_AND"
            ? expression.GetProperty("children").EnumerateArray().SelectMany(Conjuncts)
            : [expression];

    /// <summary>The table column an expression is, if it is a plain reference to one.</summary>
    private static string? ColumnOf(JsonElement expression, (string Table, string Alias, JsonElement Node) read, HashSet<string> aliases)
    {
        if (expression.GetProperty("class").GetString() != "COLUMN_REF")
        {
            return null;
        }

        var names = expression.GetProperty("column_names").EnumerateArray().Select(n => n.GetString()!).ToList();
        var column = names switch
        {
            [var name] when !aliases.Contains(name) => name,
            [var qualifier, var name] when qualifier.Equals(read.Alias, StringComparison.OrdinalIgnoreCase) => name,
            _ => null,
        };
        return column?.ToLowerInvariant();
    }

    private static object? ValueOf(JsonElement expression, PrimitiveType type)
    {
        if (expression.GetProperty("class").GetString() != "CONSTANT" || expression.GetProperty("value").GetProperty("is_null").GetBoolean())
        {
            return null;
        }

        var value = expression.GetProperty("value");
        var id = value.GetProperty("type").GetProperty("id").GetString();
        var raw = value.GetProperty("value");
        return (type.Name, id) switch
        {
            ("string", "VARCHAR") => raw.GetString(),
            ("long", "INTEGER" or "BIGINT") => raw.GetInt64(),
            ("int", "INTEGER") => raw.GetInt32(),
            _ => null,
        };
    }

    /// <summary>A timestamp constant in µs: a string literal (compared to a TIMESTAMP column, DuckDB casts it) or a cast of one to TIMESTAMP.</summary>
    private static long? MicrosOf(JsonElement expression)
    {
        if (expression.GetProperty("class").GetString() == "CAST")
        {
            if (expression.GetProperty("cast_type").GetProperty("id").GetString() != "TIMESTAMP")
            {
                return null;
            }

            expression = expression.GetProperty("child");
        }

        if (expression.GetProperty("class").GetString() != "CONSTANT")
        {
            return null;
        }

        var value = expression.GetProperty("value");
        if (value.GetProperty("is_null").GetBoolean() || value.GetProperty("type").GetProperty("id").GetString() != "VARCHAR")
        {
            return null;
        }

        // Only plain local timestamps: a zone or offset would be converted by DuckDB's rules, not ours.
        var text = value.GetProperty("value").GetString()!;
        return PlainTimestamp().IsMatch(text) && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            ? (time.Ticks - DateTime.UnixEpoch.Ticks) / 10
            : null;
    }

    private static string? Flip(string? kind) => kind switch
    {
        "COMPARE_GREATERTHAN" => "COMPARE_LESSTHAN",
        "COMPARE_GREATERTHANOREQUALTO" => "COMPARE_LESSTHANOREQUALTO",
        "COMPARE_LESSTHAN" => "COMPARE_GREATERTHAN",
        "COMPARE_LESSTHANOREQUALTO" => "COMPARE_GREATERTHANOREQUALTO",
        _ => kind,
    };

    private static long Max(long? a, long b) => a is { } x ? Math.Max(x, b) : b;

    private static long Min(long? a, long b) => a is { } x ? Math.Min(x, b) : b;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$")]
    private static partial Regex PlainTimestamp();

    /// <summary>One pass over a parsed statement: checks every table reference and records the reads of signal tables.</summary>
    private sealed class Walk
    {
        public HashSet<string> Ctes { get; } = new(StringComparer.OrdinalIgnoreCase);

        public List<string> References { get; } = [];

        public List<(string Table, string Alias, JsonElement Node)> Selects { get; } = [];

        /// <summary>Every part of every column reference (<c>a.body</c>: a and body; <c>events.name</c>: events and name), and USING columns.</summary>
        public HashSet<string> Columns { get; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>Whether some part of the statement reads whole rows, so every column may be needed.</summary>
        public bool ReadsWholeRows { get; private set; }

        public void CollectCtes(JsonElement element)
        {
            foreach (var node in Descendants(element))
            {
                if (node.TryGetProperty("cte_map", out var ctes) && ctes.TryGetProperty("map", out var map))
                {
                    foreach (var cte in map.EnumerateArray())
                    {
                        Ctes.Add(cte.GetProperty("key").GetString()!);
                    }
                }
            }
        }

        public void Check(JsonElement element)
        {
            foreach (var node in Descendants(element))
            {
                CollectColumns(node);
                if (node.TryGetProperty("type", out var typeProperty) && typeProperty.ValueKind == JsonValueKind.String)
                {
                    var type = typeProperty.GetString()!;
                    if (node.TryGetProperty("from_table", out var from) && type == "SELECT_NODE" && from.GetProperty("type").GetString() == "BASE_TABLE")
                    {
                        Selects.Add((from.GetProperty("table_name").GetString()!.ToLowerInvariant(), from.GetProperty("alias").GetString() is { Length: > 0 } alias ? alias : from.GetProperty("table_name").GetString()!, node));
                    }

                    if (type == "TABLE_FUNCTION")
                    {
                        var name = node.GetProperty("function").TryGetProperty("function_name", out var f) ? f.GetString() : "?";
                        throw new QueryException(400, $"Table functions such as {name}() are not allowed; query the tables logs, spans and metrics.");
                    }

                    if (type == "SHOW_REF" && node.GetProperty("table_name").GetString() is { Length: > 0 } shown)
                    {
                        throw new QueryException(400, $"SHOW {shown} is not allowed; DESCRIBE a table or query it instead.");
                    }

                    if (type == "BASE_TABLE")
                    {
                        CheckTable(node);
                    }
                    else if (node.TryGetProperty("query_location", out _) && IsTableReference(node) && !s_allowedReferences.Contains(type))
                    {
                        throw new QueryException(400, $"Table references of kind {type} are not allowed.");
                    }
                }
            }
        }

        /// <summary>Only records the columns of every node, checking nothing.</summary>
        public void Collect(JsonElement element)
        {
            foreach (var node in Descendants(element))
            {
                CollectColumns(node);
            }
        }

        private void CollectColumns(JsonElement node)
        {
            // Whole rows: *, COLUMNS(…), #n (a column by position), a natural join, and PIVOT (which groups by every column it does not name).
            var kind = node.TryGetProperty("class", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            if (kind is "STAR" or "POSITIONAL_REFERENCE" || Is(node, "ref_type", "NATURAL") || Is(node, "type", "PIVOT"))
            {
                ReadsWholeRows = true;
            }

            var names = kind == "COLUMN_REF" && node.TryGetProperty("column_names", out var parts) ? parts
                : node.TryGetProperty("using_columns", out var joined) && joined.ValueKind == JsonValueKind.Array ? joined
                : default;
            if (names.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var name in names.EnumerateArray().Select(n => n.GetString()!))
            {
                Columns.Add(name);

                // A table named as a value (SELECT logs FROM logs) is its whole row.
                ReadsWholeRows |= kind == "COLUMN_REF" && s_tables.ContainsKey(name);
            }
        }

        private static bool Is(JsonElement node, string property, string value) =>
            node.TryGetProperty(property, out var p) && p.ValueKind == JsonValueKind.String && p.GetString() == value;

        private void CheckTable(JsonElement node)
        {
            var name = node.GetProperty("table_name").GetString()!;
            if (node.GetProperty("schema_name").GetString() is { Length: > 0 } || node.GetProperty("catalog_name").GetString() is { Length: > 0 })
            {
                throw new QueryException(400, $"Qualified table names are not allowed; use logs, spans or metrics.");
            }

            if (node.TryGetProperty("at_clause", out var at) && at.ValueKind != JsonValueKind.Null)
            {
                throw new QueryException(400, "AT clauses are not supported; pass the snapshot or as_of parameter to read an older snapshot.");
            }

            if (s_tables.ContainsKey(name))
            {
                References.Add(name.ToLowerInvariant());
            }
            else if (!Ctes.Contains(name))
            {
                throw new QueryException(400, $"Table '{name}' does not exist; the tables are logs, spans and metrics.");
            }
        }

        // Table references carry a sample clause and an alias; expressions carry a class instead.
        private static bool IsTableReference(JsonElement node) => node.TryGetProperty("sample", out _) && node.TryGetProperty("alias", out _) && !node.TryGetProperty("class", out _);

        private static IEnumerable<JsonElement> Descendants(JsonElement element)
        {
            var pending = new Stack<JsonElement>();
            pending.Push(element);
            while (pending.TryPop(out var current))
            {
                if (current.ValueKind == JsonValueKind.Object)
                {
                    yield return current;
                    foreach (var property in current.EnumerateObject())
                    {
                        pending.Push(property.Value);
                    }
                }
                else if (current.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in current.EnumerateArray())
                    {
                        pending.Push(item);
                    }
                }
            }
        }
    }
}
