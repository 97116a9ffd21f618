using IceGate.Lakehouse.Storage;
using IceGate.Tests;

namespace IceGate.Catalog.Tests;

public sealed class LocalCatalogTests : CatalogContract, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("icegate-catalog-").FullName;

    public LocalCatalogTests() => Store = new RetryingObjectStore(new LocalObjectStore(Path.Combine(_root, "store")));

    protected override IObjectStore Store { get; }

    protected override string ContenderStore => $"local:{Path.Combine(_root, "store")}";

    protected override string ScratchDirectory => _root;

    public void Dispose() => Directory.Delete(_root, recursive: true);
}

public sealed class S3CatalogTests : CatalogContract, IDisposable
{
    private readonly string _prefix = $"tests/{Guid.NewGuid():N}";
    private readonly string _scratch = Directory.CreateTempSubdirectory("icegate-s3-catalog-").FullName;
    private readonly S3ObjectStore? _s3;

    public S3CatalogTests()
    {
        if (TestS3.Options(_prefix) is { } options)
        {
            _s3 = new S3ObjectStore(options);
        }
    }

    protected override IObjectStore Store => _s3 is null ? TestS3.SkipOrFail<IObjectStore>() : new RetryingObjectStore(_s3);

    protected override string ContenderStore => $"s3:{_prefix}";

    protected override string ScratchDirectory => _scratch;

    public void Dispose()
    {
        _s3?.Dispose();
        Directory.Delete(_scratch, recursive: true);
    }
}
