using System.CommandLine;
using System.Security.Cryptography;
using IceGate.Catalog;

namespace IceGate.Server.Security;

/// <summary><c>icegate keys new</c>: makes a token and the keys-file entry that accepts it; the token is printed once and stored nowhere.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "The tenant the key acts for, or * for any (chosen by X-Scope-OrgID).", Required = true };
        var scopes = new Option<string[]>("--scopes") { Description = "write, read and/or admin (comma-separated or repeated).", Required = true, AllowMultipleArgumentsPerToken = true };
        var id = new Option<string?>("--id") { Description = "A name for the key, shown in refusals and logs (default: key-<random>)." };
        var create = new Command("new", "Prints a new token and its entry for the Auth:KeysFile JSON array.") { tenant, scopes, id };
        create.SetAction(parse => New(parse.GetValue(tenant)!, parse.GetValue(scopes)!, parse.GetValue(id)));
        return new Command("keys", "API keys for Auth:KeysFile.") { create };
    }

    private static int New(string tenant, string[] scopeArguments, string? id)
    {
        if (tenant != ApiKey.AnyTenant && Tenants.Resolve(tenant, string.Empty, out var problem) is null)
        {
            Console.Error.WriteLine($"icegate keys new: --tenant: {problem}");
            return 2;
        }

        var scopes = scopeArguments.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList();
        var unknown = scopes.Where(s => !ApiKeySet.ScopeNames.Contains(s)).ToList();
        if (scopes.Count == 0 || unknown.Count > 0)
        {
            Console.Error.WriteLine($"icegate keys new: --scopes takes {string.Join(", ", ApiKeySet.ScopeNames)}{(unknown.Count > 0 ? $", not '{unknown[0]}'" : "")}.");
            return 2;
        }

        // 32 random bytes: guessing is hopeless, so one SHA-256 (not a slow password hash) is enough to store it.
        var token = "igk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Console.WriteLine($"token: {token}");
        Console.WriteLine($"entry: {ApiKeySet.EntryJson(id ?? $"key-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}", tenant, scopes, token)}");
        return 0;
    }
}
