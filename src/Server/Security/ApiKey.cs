namespace IceGate.Server.Security;

/// <summary>What a key allows: <c>write</c> sends telemetry, <c>read</c> queries it, <c>admin</c> does both and everything else.</summary>
[Flags]
internal enum KeyScopes
{
    None = 0,
    Write = 1,
    Read = 2,
    Admin = Write | Read | 4,
}

/// <summary>
/// One entry of <c>Auth:KeysFile</c>: a token's SHA-256 (the token itself is never stored), the
/// tenant it acts for (<c>*</c> for any, chosen by <c>X-Scope-OrgID</c>) and its scopes.
/// </summary>
internal sealed record ApiKey(string Id, string Tenant, KeyScopes Scopes, byte[] Sha256)
{
    /// <summary>The tenant value that lets a key act for every tenant.</summary>
    public const string AnyTenant = "*";

    public bool Allows(KeyScopes needed) => (Scopes & needed) == needed;
}
