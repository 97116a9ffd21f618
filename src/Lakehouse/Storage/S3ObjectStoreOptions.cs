namespace IceGate.Lakehouse.Storage;

/// <summary>Where and how to reach an S3-compatible store (AWS, MinIO, Ceph RGW, R2, …).</summary>
public sealed class S3ObjectStoreOptions
{
    /// <summary>The service URL, such as <c>http://127.0.0.1:7480</c>; null means AWS in <see cref="Region"/>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The region requests are signed for.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>The bucket.</summary>
    public string Bucket { get; set; } = string.Empty;

    /// <summary>A key prefix inside the bucket, so that several deployments can share one; empty for none.</summary>
    public string Prefix { get; set; } = string.Empty;

    /// <summary>The access key; with <see cref="SecretKey"/> null, the SDK's default credential chain applies.</summary>
    public string? AccessKey { get; set; }

    /// <summary>The secret key.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>), which most S3-compatible servers need.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>How long one request may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
