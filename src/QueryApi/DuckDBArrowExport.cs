using Apache.Arrow;
using Apache.Arrow.C;
using IceGate.Lakehouse.DuckDB;

namespace IceGate.QueryApi;

/// <summary>
/// A DuckDB result as Apache.Arrow objects: DuckDB converts the columns and each chunk (2,048
/// rows) through the C data interface and Apache.Arrow imports them without copying.
/// </summary>
internal static class DuckDBArrowExport
{
    /// <summary>The result's columns as an Arrow schema.</summary>
    public static unsafe Schema Schema(DuckDBDataReader reader)
    {
        var schema = CArrowSchema.Create();
        try
        {
            reader.ExportArrowSchema((nint)schema);
            return CArrowSchemaImporter.ImportSchema(schema);
        }
        finally
        {
            CArrowSchema.Free(schema);
        }
    }

    /// <summary>The next chunk of rows as a record batch (the caller disposes it), or null at the end.</summary>
    public static unsafe RecordBatch? NextBatch(DuckDBDataReader reader, Schema schema)
    {
        var array = CArrowArray.Create();
        try
        {
            // The importer takes over the array's buffers; the batch releases them when disposed.
            return reader.ExportArrowChunk((nint)array) ? CArrowArrayImporter.ImportRecordBatch(array, schema) : null;
        }
        finally
        {
            CArrowArray.Free(array);
        }
    }
}
