namespace IceGate.Server.Security;

/// <summary>Why a request was refused by key authentication.</summary>
internal enum AuthFailure
{
    /// <summary>No token in the request (401).</summary>
    MissingToken,

    /// <summary>A token that matches no key (401).</summary>
    WrongToken,

    /// <summary>A valid key without the scope the endpoint needs (403).</summary>
    Scope,

    /// <summary>A valid key asking for another tenant than its own (403).</summary>
    Tenant,
}

/// <summary>Refused requests by reason, for <c>/metrics</c>: a climbing wrong-token count is someone guessing.</summary>
internal sealed class AuthFailures
{
    private readonly long[] _counts = new long[Enum.GetValues<AuthFailure>().Length];

    public void Count(AuthFailure failure) => Interlocked.Increment(ref _counts[(int)failure]);

    public long this[AuthFailure failure] => Interlocked.Read(ref _counts[(int)failure]);
}
