using IceGate.Lakehouse.DuckDB;

namespace IceGate.Lakehouse.Tests.DuckDB;

public sealed class SmokeTests
{
    [Fact]
    public void Version_is_reported()
    {
        using var connection = new DuckDBConnection();
        connection.Open();
        Assert.Equal("v1.5.6", connection.ServerVersion);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 41 + 1";
        Assert.Equal(42, command.ExecuteScalar());
    }
}
