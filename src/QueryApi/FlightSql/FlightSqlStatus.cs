using Google.Protobuf;
using Grpc.Core;

namespace IceGate.QueryApi.FlightSql;

/// <summary>Failures as gRPC statuses, the way the SQL API answers them as HTTP statuses.</summary>
internal static class FlightSqlStatus
{
    public static RpcException Unimplemented(string what) => new(new Status(StatusCode.Unimplemented, $"{what} is not supported by IceGate's Flight SQL service."));

    public static RpcException InvalidArgument(string message) => new(new Status(StatusCode.InvalidArgument, message));

    /// <summary>
    /// The status for a failure, or null for one that is IceGate's own bug (which gRPC answers
    /// UNKNOWN without details). <paramref name="callCancelled"/> tells a client that left (or
    /// whose deadline passed) from IceGate's own query timeout.
    /// </summary>
    public static RpcException? From(Exception e, bool callCancelled, TimeSpan timeout)
    {
        if (e is RpcException rpc)
        {
            return rpc;
        }

        if (QueryErrors.IsCancellation(e))
        {
            return callCancelled
                ? new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled."))
                : new RpcException(new Status(StatusCode.DeadlineExceeded, $"The query ran longer than {timeout.TotalSeconds:0.#} s and was stopped."));
        }

        if (e is InvalidProtocolBufferException)
        {
            return InvalidArgument($"The message is not valid protobuf: {e.Message}");
        }

        return QueryErrors.Status(e) is { } status ? new RpcException(new Status(Code(status), e.Message)) : null;
    }

    private static StatusCode Code(int httpStatus) => httpStatus switch
    {
        400 or 413 => StatusCode.InvalidArgument,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.NotFound,
        429 => StatusCode.ResourceExhausted,
        503 => StatusCode.Unavailable,
        504 => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };
}
