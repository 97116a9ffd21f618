using System.Diagnostics;

namespace IceGate.Tests;

/// <summary>Python modules from Debian's packages that some tests use as independent clients.</summary>
internal static class DebianPython
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Skips (or under CI fails) unless <c>python3-<paramref name="module"/></c> is installed.</summary>
    public static void Require(string module, string purpose)
    {
        using var probe = Process.Start(new ProcessStartInfo(Interpreter, ["-c", $"import {module}"]) { RedirectStandardError = true })!;
        probe.WaitForExit();
        if (probe.ExitCode == 0)
        {
            return;
        }

        IndependentClient.Missing($"Debian's python3-{module} is not installed (apt-get install python3-{module}): {purpose}");
    }
}
