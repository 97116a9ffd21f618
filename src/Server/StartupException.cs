namespace IceGate.Server;

/// <summary>Settings the process cannot start with: each problem is one line for the operator, naming the setting.</summary>
internal sealed class StartupException(IReadOnlyList<string> problems) : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
