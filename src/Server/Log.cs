namespace IceGate.Server;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "IceGate {Version} serving on {QueryUrl}, state in {Store}")]
    public static partial void Started(ILogger logger, string version, string queryUrl, string store);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Health check could not reach the object store")]
    public static partial void StoreUnreachable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "No Auth:KeysFile is set and a listener is not on loopback: anyone who can reach it may write and read every tenant")]
    public static partial void OpenToTheNetwork(ILogger logger);
}
