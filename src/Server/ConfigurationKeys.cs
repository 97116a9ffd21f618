using System.Collections;
using System.Reflection;

namespace IceGate.Server;

/// <summary>
/// Finds settings that bind to nothing. The configuration binder ignores them, so a mistyped
/// <c>--Query:Timout=5m</c> would silently run with the default.
/// </summary>
internal static class ConfigurationKeys
{
    // Sections the host reads itself (Logging:LogLevel:IceGate.Wal=Debug).
    private static readonly string[] s_hostSections = ["Logging"];

    /// <summary>The keys of <paramref name="configuration"/> that name no property of <paramref name="optionsType"/> nor a host section.</summary>
    public static IEnumerable<string> Unknown(IConfiguration configuration, Type optionsType) =>
        configuration.AsEnumerable(makePathsRelative: true)
            .Where(pair => pair.Value is not null && !s_hostSections.Contains(pair.Key.Split(':')[0], StringComparer.OrdinalIgnoreCase) && !Binds(optionsType, pair.Key.Split(':')))
            .Select(pair => pair.Key);

    private static bool Binds(Type type, ReadOnlySpan<string> path)
    {
        while (path.Length > 0)
        {
            if (DictionaryValueType(type) is { } valueType)
            {
                // Any key names an entry (Maintenance:RetentionDays:logs).
                type = valueType;
            }
            else if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
            {
                if (!int.TryParse(path[0], out _))
                {
                    return false;
                }

                type = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            }
            else
            {
                var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                if (property is null || !property.CanWrite && !property.PropertyType.IsClass)
                {
                    return false;
                }

                type = property.PropertyType;
            }

            path = path[1..];
        }

        return true;
    }

    private static Type? DictionaryValueType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) ? type.GetGenericArguments()[1] : null;
}
