using System.Text;
using IceGate.Catalog;
using Microsoft.Extensions.Primitives;

namespace IceGate.Server.Security;

/// <summary>
/// With <c>Auth:KeysFile</c> set, every request but the health probes needs a key: a bearer token
/// (gRPC: the <c>authorization</c> metadata), or Basic auth with the token as password for
/// clients that only do Basic. OTLP and Loki push need <c>write</c>; everything else on the query
/// listener, and Flight SQL, <c>read</c>; the REST catalog also a key for every tenant, since its tables hold every
/// tenant's files. The key decides the tenant: <c>X-Scope-OrgID</c> naming another is refused
/// unless the key's tenant is <c>*</c>, and is set to the key's tenant for what comes after.
/// </summary>
internal sealed class ApiKeyAuthentication(ApiKeySet keys, Listeners listeners, AuthFailures failures)
{
    // Probes from load balancers and orchestrators (and gRPC health checks), which carry no credentials; they reveal only that the process is up.
    private static readonly string[] s_open = ["/health", "/ready"];

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var port = context.Connection.LocalPort;
        if (s_open.Contains(request.Path.Value, StringComparer.Ordinal) && port == listeners.Query.Port
            || request.Path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.Ordinal) && port == listeners.OtlpGrpc.Port)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (Token(request.Headers.Authorization) is not { } token)
        {
            await RefuseAsync(context, AuthFailure.MissingToken, "A key is required: Authorization: Bearer <token> (or Basic with the token as password).").ConfigureAwait(false);
            return;
        }

        if (keys.Authenticate(token) is not { } key)
        {
            await RefuseAsync(context, AuthFailure.WrongToken, "The token matches no key.").ConfigureAwait(false);
            return;
        }

        var (needed, what) = Needs(context);
        if (!key.Allows(needed))
        {
            await RefuseAsync(context, AuthFailure.Scope, $"The key '{key.Id}' may not {what}: that needs the '{(needed == KeyScopes.Write ? "write" : "read")}' scope.").ConfigureAwait(false);
            return;
        }

        if (key.Tenant == ApiKey.AnyTenant)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (context.Connection.LocalPort == listeners.Query.Port && request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
        {
            await RefuseAsync(context, AuthFailure.Tenant, $"The key '{key.Id}' is for tenant '{key.Tenant}'; the Iceberg REST catalog serves every tenant's files and needs a key for tenant \"*\".").ConfigureAwait(false);
            return;
        }

        var asked = request.Headers[Tenants.Header];
        if (!StringValues.IsNullOrEmpty(asked) && asked != key.Tenant)
        {
            await RefuseAsync(context, AuthFailure.Tenant, $"The key '{key.Id}' is for tenant '{key.Tenant}', not '{asked}'.").ConfigureAwait(false);
            return;
        }

        request.Headers[Tenants.Header] = key.Tenant;
        await next(context).ConfigureAwait(false);
    }

    /// <summary>What the request does, by listener and path: sending telemetry, or reading.</summary>
    private (KeyScopes Needed, string What) Needs(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        var path = context.Request.Path;
        return port == listeners.OtlpHttp.Port || port == listeners.OtlpGrpc.Port || path.StartsWithSegments("/loki/api/v1/push", StringComparison.Ordinal)
            ? (KeyScopes.Write, "send telemetry")
            : (KeyScopes.Read, "read");
    }

    private static string? Token(StringValues authorization)
    {
        var header = authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header[7..].Trim() is { Length: > 0 } bearer ? bearer : null;
        }

        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            // user:password, the token being the password; clients that send only a user name put the token there.
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            var token = colon < 0 ? pair : pair[(colon + 1)..] is { Length: > 0 } password ? password : pair[..colon];
            return token.Length > 0 ? token : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private Task RefuseAsync(HttpContext context, AuthFailure failure, string message)
    {
        failures.Count(failure);
        var unauthenticated = failure is AuthFailure.MissingToken or AuthFailure.WrongToken;
        var response = context.Response;
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            // gRPC answers with a status in trailers-only form: UNAUTHENTICATED (16) or PERMISSION_DENIED (7).
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = unauthenticated ? "16" : "7";
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }

        response.StatusCode = unauthenticated ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
        if (unauthenticated)
        {
            response.Headers.WWWAuthenticate = "Bearer realm=\"icegate\", Basic realm=\"icegate\"";
        }

        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(message, context.RequestAborted);
    }
}
