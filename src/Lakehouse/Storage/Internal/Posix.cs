using System.Runtime.InteropServices;

namespace IceGate.Lakehouse.Storage.Internal;

/// <summary>
/// The libc calls the local store needs and .NET does not expose: <c>link</c> (atomic create-only
/// publish), <c>flock</c> on a descriptor .NET has not already locked, and <c>fsync</c> of a directory.
/// Flag values are Linux's.
/// </summary>
internal static partial class Posix
{
    private const string Libc = "libc";
    private const int ORdOnly = 0x0;
    private const int ORdWr = 0x2;
    private const int OCreat = 0x40;
    private const int ODirectory = 0x10000;
    private const int OCloExec = 0x80000;
    private const int LockExclusive = 2;
    private const int EIntr = 4;
    private const int EExist = 17;

    /// <summary>Publishes <paramref name="source"/> at <paramref name="target"/> unless it exists: false if it does.</summary>
    public static bool TryLink(string source, string target)
    {
        if (link(source, target) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == EExist ? false : throw Failure("link", target, errno);
    }

    /// <summary>Blocks until this process holds an exclusive lock on <paramref name="path"/>; disposing releases it.</summary>
    public static FileLock LockExclusively(string path)
    {
        var descriptor = open(path, ORdWr | OCreat | OCloExec, 0x1A4 /* 0644 */);
        if (descriptor < 0)
        {
            throw Failure("open", path, Marshal.GetLastPInvokeError());
        }

        while (flock(descriptor, LockExclusive) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                _ = close(descriptor);
                throw Failure("flock", path, errno);
            }
        }

        return new FileLock(descriptor);
    }

    /// <summary>Makes a directory's entries (a rename or link into it) durable.</summary>
    public static void SyncDirectory(string path)
    {
        var descriptor = open(path, ORdOnly | ODirectory | OCloExec, 0);
        if (descriptor < 0)
        {
            throw Failure("open", path, Marshal.GetLastPInvokeError());
        }

        try
        {
            if (fsync(descriptor) != 0)
            {
                throw Failure("fsync", path, Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            _ = close(descriptor);
        }
    }

    private static IOException Failure(string call, string path, int errno) =>
        new($"{call}('{path}') failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldPath, string newPath);

    // open is variadic in C; on x86-64 and arm64 Linux a call with the mode as a plain third argument is equivalent.
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, uint mode);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int flock(int descriptor, int operation);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int fsync(int descriptor);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int close(int descriptor);

    /// <summary>An exclusive <c>flock</c>; closing the descriptor releases it.</summary>
    public sealed class FileLock(int descriptor) : IDisposable
    {
        private int _descriptor = descriptor;

        public void Dispose()
        {
            var descriptor = Interlocked.Exchange(ref _descriptor, -1);
            if (descriptor >= 0)
            {
                _ = close(descriptor);
            }
        }
    }
}
