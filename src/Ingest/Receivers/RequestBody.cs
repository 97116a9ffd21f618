using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace IceGate.Ingest.Receivers;

/// <summary>A request body over the size limit (before or after decompression).</summary>
internal sealed class PayloadTooLargeException(string message) : Exception(message);

/// <summary>Reads request bodies into pooled buffers, decompressing gzip, never past a limit.</summary>
internal static class RequestBody
{
    /// <summary>The body's bytes (rented: return <c>Buffer</c> to the pool) after undoing <paramref name="encoding"/>.</summary>
    public static async Task<(byte[] Buffer, int Length)> ReadAsync(HttpContext context, string? encoding, long limit, CancellationToken cancellationToken)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        if (context.Request.ContentLength > limit)
        {
            throw new PayloadTooLargeException($"The body is {context.Request.ContentLength} bytes; the limit is {limit}.");
        }

        Stream body = context.Request.Body;
        var compressed = encoding switch
        {
            null or "" or "identity" => false,
            "gzip" => true,
            _ => throw new InvalidDataException($"Content-Encoding '{encoding}' is not supported (gzip or none)."),
        };
        if (compressed)
        {
            body = new GZipStream(body, CompressionMode.Decompress, leaveOpen: true);
        }

        try
        {
            return await ReadAllAsync(body, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e) when (compressed)
        {
            throw new InvalidDataException($"The gzip body is corrupt: {e.Message}", e);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new PayloadTooLargeException($"The body is larger than the limit of {limit} bytes.");
        }
        finally
        {
            if (compressed)
            {
                await body.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads a whole stream into a pooled buffer, refusing more than <paramref name="limit"/> bytes.</summary>
    public static async Task<(byte[] Buffer, int Length)> ReadAllAsync(Stream stream, long limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= limit)
                    {
                        // One more byte would exceed the limit: probe for it.
                        var probe = new byte[1];
                        if (await stream.ReadAsync(probe, cancellationToken).ConfigureAwait(false) > 0)
                        {
                            throw new PayloadTooLargeException($"The body is larger than the limit of {limit} bytes.");
                        }

                        return (buffer, length);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length, (int)Math.Min(buffer.Length - length, limit - length + 1)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
                if (length > limit)
                {
                    throw new PayloadTooLargeException($"The body is larger than the limit of {limit} bytes.");
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
