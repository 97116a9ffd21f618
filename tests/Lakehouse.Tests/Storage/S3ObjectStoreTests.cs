using IceGate.Lakehouse.Storage;
using IceGate.Tests;

namespace IceGate.Lakehouse.Tests.Storage;

/// <summary>The contract against a real S3 server (Ceph RGW in CI), configured by S3_* variables.</summary>
public sealed class S3ObjectStoreTests : ObjectStoreContract, IDisposable
{
    private readonly S3ObjectStore? _s3;

    public S3ObjectStoreTests()
    {
        var options = TestS3.Options();
        if (options is not null)
        {
            _s3 = new S3ObjectStore(options);
        }
    }

    protected override IObjectStore Store =>
        _s3 is null ? TestS3.SkipOrFail<IObjectStore>() : new RetryingObjectStore(_s3);

    public void Dispose() => _s3?.Dispose();
}
