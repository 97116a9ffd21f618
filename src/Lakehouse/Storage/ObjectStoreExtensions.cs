using System.Runtime.CompilerServices;

namespace IceGate.Lakehouse.Storage;

/// <summary>Conveniences over <see cref="IObjectStore"/>.</summary>
public static class ObjectStoreExtensions
{
    /// <summary>The key of an object given by its full URI (as Iceberg metadata records it) in this store.</summary>
    public static string KeyOf(this IObjectStore store, string uri)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(uri);
        var prefix = store.Location + "/";
        return uri.StartsWith(prefix, StringComparison.Ordinal)
            ? uri[prefix.Length..]
            : throw new InvalidDataException($"'{uri}' is not in the object store at {store.Location}.");
    }

    /// <summary>Every object under a prefix, fetching pages as the caller enumerates.</summary>
    public static async IAsyncEnumerable<ObjectMetadata> ListAllAsync(this IObjectStore store, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        string? token = null;
        do
        {
            var page = await store.ListAsync(prefix, token, ListPage.MaxKeys, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Objects)
            {
                yield return item;
            }

            token = page.ContinuationToken;
        }
        while (token is not null);
    }
}
