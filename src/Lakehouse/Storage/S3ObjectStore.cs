using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace IceGate.Lakehouse.Storage;

/// <summary>
/// An <see cref="IObjectStore"/> on S3 or an S3-compatible server, through AWSSDK.S3.
/// </summary>
/// <remarks>
/// Tolerates what Ceph RGW does differently from AWS: it accepts <c>If-Match</c> only with the
/// unquoted ETag, answers a conditional write on a missing key with 412 instead of 404, and answers
/// the loser of a compare-and-swap race with 500 instead of 409. A 500 on a conditional write is
/// reported as transient (outcome unknown) rather than as a lost race, because it may also be a real
/// failure after the write landed; <see cref="RetryingObjectStore"/> settles such outcomes by
/// reading the object back. The SDK's own retries are off: that decorator owns retrying.
/// </remarks>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _prefix;

    /// <summary>Creates a client for the store.</summary>
    public S3ObjectStore(S3ObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Bucket, nameof(options.Bucket));
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            MaxErrorRetry = 0,
            Timeout = options.RequestTimeout,

            // Ceph RGW rejects the SDK's default payload checksums (400 XAmzContentSHA256Mismatch).
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (string.IsNullOrEmpty(options.Endpoint))
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.Endpoint;
        }

        _client = options.AccessKey is null
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
        _bucket = options.Bucket;
        _prefix = options.Prefix.Length == 0 || options.Prefix.EndsWith('/') ? options.Prefix : options.Prefix + "/";
    }

    /// <inheritdoc />
    public string Location => $"s3://{_bucket}/{_prefix}".TrimEnd('/');

    /// <inheritdoc />
    public async ValueTask<ObjectData?> GetAsync(string key, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        var request = new GetObjectRequest { BucketName = _bucket, Key = FullKey(key) };
        if (range is { } r)
        {
            request.ByteRange = new Amazon.S3.Model.ByteRange(r.ToString());
        }

        try
        {
            using var response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            var content = new byte[response.ContentLength];
            await response.ResponseStream.ReadExactlyAsync(content, cancellationToken).ConfigureAwait(false);
            return new ObjectData(content, Unquote(response.ETag), ObjectLengthOf(response.ContentRange, response.ContentLength));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (Translate(e, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public async ValueTask<ObjectMetadata?> HeadAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _client.GetObjectMetadataAsync(_bucket, FullKey(key), cancellationToken).ConfigureAwait(false);
            return new ObjectMetadata(key, response.ContentLength, Unquote(response.ETag), response.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime()) : default);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (Translate(e, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public async ValueTask<PutResult> PutAsync(string key, ReadOnlyMemory<byte> content, PutCondition condition = default, CancellationToken cancellationToken = default)
    {
        var body = MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);
        var request = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = FullKey(key),
            InputStream = body,
            AutoCloseStream = true,
        };
        if (condition.IsIfNoneMatch)
        {
            request.IfNoneMatch = "*";
        }
        else if (condition.IfMatchETag is { } etag)
        {
            request.IfMatch = etag;
        }

        try
        {
            var response = await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
            var written = Unquote(response.ETag);
            if (written.Length == 0)
            {
                written = (await HeadAsync(key, cancellationToken).ConfigureAwait(false))?.ETag ?? throw new ObjectStoreException(ObjectStoreErrorKind.Transient, $"'{key}' was written but has no ETag.");
            }

            return PutResult.Success(written);
        }
        catch (AmazonS3Exception e) when (condition.IsConditional && IsLostCondition(e, condition))
        {
            return PutResult.PreconditionFailed;
        }
        catch (Exception e) when (Translate(e, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public async ValueTask<ListPage> ListAsync(string prefix, string? continuationToken = null, int maxKeys = ListPage.MaxKeys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxKeys);
        var request = new ListObjectsV2Request
        {
            BucketName = _bucket,
            Prefix = _prefix + prefix,
            MaxKeys = Math.Min(maxKeys, ListPage.MaxKeys),
            ContinuationToken = continuationToken,
        };
        try
        {
            var response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            var objects = (response.S3Objects ?? [])
                .Select(o => new ObjectMetadata(o.Key[_prefix.Length..], o.Size ?? 0, Unquote(o.ETag), o.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime()) : default))
                .ToList();
            return new ListPage(objects, response.IsTruncated == true ? response.NextContinuationToken : null);
        }
        catch (Exception e) when (Translate(e, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.DeleteObjectAsync(_bucket, FullKey(key), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
        catch (Exception e) when (Translate(e, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    /// <summary>412 is the documented answer; 409 is AWS's for a concurrent conditional write; 404 is AWS's for If-Match on a missing key.</summary>
    private static bool IsLostCondition(AmazonS3Exception e, PutCondition condition) =>
        e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict
        || (e.StatusCode == HttpStatusCode.NotFound && condition.IfMatchETag is not null);

    private static string Unquote(string? etag) => etag?.Trim('"') ?? string.Empty;

    /// <summary>The total length from <c>Content-Range: bytes a-b/total</c>, or the body's length without one.</summary>
    private static long ObjectLengthOf(string? contentRange, long contentLength)
    {
        var slash = contentRange?.LastIndexOf('/') ?? -1;
        return slash >= 0 && long.TryParse(contentRange.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total) ? total : contentLength;
    }

    /// <summary>Maps SDK and network failures onto <see cref="ObjectStoreException"/>; null lets the caller's own cancellation through.</summary>
    private static ObjectStoreException? Translate(Exception e, CancellationToken cancellationToken)
    {
        if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        return e switch
        {
            ObjectStoreException => null,
            AmazonS3Exception { StatusCode: HttpStatusCode.RequestedRangeNotSatisfiable } s3 => new(ObjectStoreErrorKind.InvalidRange, s3.Message, s3),
            AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden } s3 => new(ObjectStoreErrorKind.AccessDenied, s3.Message, s3),
            AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout } service =>
                new(ObjectStoreErrorKind.Transient, $"S3 answered {(int)service.StatusCode} {service.ErrorCode}: {service.Message}", service),
            AmazonServiceException { ErrorCode: "SlowDown" or "RequestTimeout" or "InternalError" } service => new(ObjectStoreErrorKind.Transient, service.Message, service),
            AmazonServiceException service => new(ObjectStoreErrorKind.Permanent, $"S3 answered {(int)service.StatusCode} {service.ErrorCode}: {service.Message}", service),
            HttpRequestException or IOException or OperationCanceledException or AmazonClientException => new(ObjectStoreErrorKind.Transient, e.Message, e),
            _ => null,
        };
    }

    private string FullKey(string key) => _prefix + ObjectKey.Validate(key);
}
