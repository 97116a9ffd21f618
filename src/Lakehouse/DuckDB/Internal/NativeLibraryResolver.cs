using System.Reflection;
using System.Runtime.InteropServices;

namespace IceGate.Lakehouse.DuckDB.Internal;

/// <summary>
/// Finds libduckdb.so: the file named by <c>ICEGATE_DUCKDB_LIBRARY</c>, else the copy the build
/// places beside this assembly, else the system's library search path.
/// </summary>
internal static class NativeLibraryResolver
{
    public const string EnvironmentVariable = "ICEGATE_DUCKDB_LIBRARY";

    public static void Register(Assembly assembly) => NativeLibrary.SetDllImportResolver(assembly, Resolve);

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != NativeMethods.Library)
        {
            return 0;
        }

        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return NativeLibrary.TryLoad(configured, out var handle)
                ? handle
                : throw new DllNotFoundException($"{EnvironmentVariable} names '{configured}', which could not be loaded as libduckdb.");
        }

        var besideAssembly = Path.Combine(Path.GetDirectoryName(assembly.Location) ?? AppContext.BaseDirectory, "libduckdb.so");
        if (NativeLibrary.TryLoad(besideAssembly, out var local) || NativeLibrary.TryLoad("libduckdb.so", out local))
        {
            return local;
        }

        throw new DllNotFoundException(
            $"libduckdb.so was not found beside {assembly.GetName().Name} nor on the library path. " +
            $"'dotnet build' copies it from the DuckDB.NET.Bindings.Full package; or set {EnvironmentVariable} to a libduckdb.so v1.5.6.");
    }
}
