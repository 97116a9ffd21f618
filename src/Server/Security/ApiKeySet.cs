using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IceGate.Catalog;

namespace IceGate.Server.Security;

/// <summary>The keys of <c>Auth:KeysFile</c>, read once at start, and the check of a presented token against them.</summary>
internal sealed class ApiKeySet
{
    private static readonly Dictionary<string, KeyScopes> s_scopes = new(StringComparer.Ordinal)
    {
        ["write"] = KeyScopes.Write,
        ["read"] = KeyScopes.Read,
        ["admin"] = KeyScopes.Admin,
    };

    private readonly ApiKey[] _keys;

    private ApiKeySet(ApiKey[] keys) => _keys = keys;

    public int Count => _keys.Length;

    /// <summary>
    /// Reads a keys file: a JSON array of <c>{"id", "tenant", "scopes", "sha256"}</c>. Throws
    /// <see cref="StartupException"/> naming the entry and field for anything malformed.
    /// </summary>
    public static ApiKeySet Load(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new StartupException([$"Auth:KeysFile '{path}' cannot be read as JSON: {e.Message}"]);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new StartupException([$"Auth:KeysFile '{path}' must hold a JSON array of keys."]);
            }

            var keys = document.RootElement.EnumerateArray().Select((entry, i) => Entry(path, i, entry)).ToArray();
            if (keys.GroupBy(k => k.Id).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
            {
                throw new StartupException([$"Auth:KeysFile '{path}' has the id '{duplicate.Key}' more than once."]);
            }

            return new ApiKeySet(keys);
        }
    }

    /// <summary>The key whose token this is, or null. Every key is compared in constant time, so the time taken says nothing about which key came close.</summary>
    public ApiKey? Authenticate(string token)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), hash);
        ApiKey? match = null;
        foreach (var key in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, key.Sha256))
            {
                match = key;
            }
        }

        return match;
    }

    /// <summary>The keys-file entry for a token (what <c>icegate keys new</c> prints).</summary>
    public static string EntryJson(string id, string tenant, IEnumerable<string> scopes, string token) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = id,
            ["tenant"] = tenant,
            ["scopes"] = scopes.ToArray(),
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))),
        });

    /// <summary>The names a scope may be written as.</summary>
    public static IReadOnlyCollection<string> ScopeNames => s_scopes.Keys;

    private static ApiKey Entry(string path, int index, JsonElement entry)
    {
        string Problem(string what) => $"Auth:KeysFile '{path}', key {index}: {what}";
        string Text(string field) =>
            entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
                ? text
                : throw new StartupException([Problem($"\"{field}\" must be a non-empty string.")]);

        var id = Text("id");
        var tenant = Text("tenant");
        if (tenant != ApiKey.AnyTenant && Tenants.Resolve(tenant, string.Empty, out var tenantProblem) is null)
        {
            throw new StartupException([Problem($"\"tenant\" is not a valid tenant id ({tenantProblem}), nor \"*\".")]);
        }

        var scopes = KeyScopes.None;
        if (!entry.TryGetProperty("scopes", out var scopeList) || scopeList.ValueKind != JsonValueKind.Array || scopeList.GetArrayLength() == 0)
        {
            throw new StartupException([Problem("\"scopes\" must be a non-empty array of \"write\", \"read\" and \"admin\".")]);
        }

        foreach (var scope in scopeList.EnumerateArray())
        {
            scopes |= scope.ValueKind == JsonValueKind.String && s_scopes.TryGetValue(scope.GetString()!, out var known)
                ? known
                : throw new StartupException([Problem($"the scope {scope.GetRawText()} is not one of \"write\", \"read\", \"admin\".")]);
        }

        var sha256 = Text("sha256");
        if (sha256.Length != 2 * SHA256.HashSizeInBytes || !sha256.All(Uri.IsHexDigit))
        {
            throw new StartupException([Problem("\"sha256\" must be the 64 hex digits of the token's SHA-256 (icegate keys new prints them).")]);
        }

        return new ApiKey(id, tenant, scopes, Convert.FromHexString(sha256));
    }
}
