using System.Buffers;

namespace IceGate.Catalog;

/// <summary>Tenant ids, from the <c>X-Scope-OrgID</c> header as Loki and Cortex accept them.</summary>
public static class Tenants
{
    /// <summary>The header carrying the tenant.</summary>
    public const string Header = "X-Scope-OrgID";

    /// <summary>The longest tenant id.</summary>
    public const int MaxLength = 150;

    private static readonly SearchValues<char> s_allowed = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!-_.*'()");

    /// <summary>
    /// The tenant of a request: the header's value if valid, <paramref name="defaultTenant"/> if absent;
    /// null (with a reason) if malformed. Ids are 1–150 characters of letters, digits and
    /// <c>!-_.*'()</c>, and not <c>.</c> or <c>..</c>: they become partition values and paths.
    /// </summary>
    public static string? Resolve(string? header, string defaultTenant, out string? problem)
    {
        problem = null;
        if (header is null)
        {
            return defaultTenant;
        }

        if (header.Length is 0 or > MaxLength || header.AsSpan().ContainsAnyExcept(s_allowed) || header is "." or "..")
        {
            problem = $"{Header} must be 1 to {MaxLength} characters of letters, digits and !-_.*'() (and not '.' or '..').";
            return null;
        }

        return header;
    }
}
