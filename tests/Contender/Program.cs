using System.Globalization;
using System.Text;
using IceGate.Catalog;
using IceGate.Lakehouse.Storage;
using IceGate.Lakehouse.Tests.Storage;
using IceGate.Tests;

// A second OS process for cross-process tests. Usage: <mode> <store> <start-file> <arguments…>,
// where <store> is local:<directory> or s3:<key prefix> (the rest from S3_* variables). It waits
// for <start-file> to exist, so that the processes it races begin together, then:
//   create-race <prefix> <rounds> <writer>: create-only puts of every round's key; prints the rounds won;
//   cas <key> <increments>: adds <increments> to a CasCounter object;
//   commit <namespace> <table> <commits> <name>: appends one synthetic file per commit.
var (mode, storeSpec, startFile) = (args[0], args[1], args[2]);
IObjectStore store = storeSpec.StartsWith("local:", StringComparison.Ordinal)
    ? new LocalObjectStore(storeSpec["local:".Length..])
    : new RetryingObjectStore(new S3ObjectStore(TestS3.Options(storeSpec["s3:".Length..]) ?? throw new InvalidOperationException("S3_ENDPOINT is not set")));
while (!File.Exists(startFile))
{
    await Task.Delay(5);
}

switch (mode)
{
    case "create-race":
        var rounds = int.Parse(args[4], CultureInfo.InvariantCulture);
        for (var round = 0; round < rounds; round++)
        {
            if ((await store.PutAsync($"{args[3]}{round}", Encoding.UTF8.GetBytes(args[5]), PutCondition.IfNoneMatch)).Written)
            {
                Console.WriteLine(round);
            }
        }

        break;
    case "cas":
        for (var done = 0; done < int.Parse(args[4], CultureInfo.InvariantCulture); done++)
        {
            await CasCounter.IncrementAsync(store, args[3], CancellationToken.None);
        }

        break;
    case "commit":
        var catalog = new IcebergCatalog(store);
        var table = await catalog.LoadTableAsync(args[3], args[4]);
        for (var i = 0; i < int.Parse(args[5], CultureInfo.InvariantCulture); i++)
        {
            await catalog.CommitAsync(args[3], args[4], new AppendFiles([SyntheticFiles.Logs(table.Metadata.Location, $"{args[6]}-{i}")]));
        }

        break;
    default:
        Console.Error.WriteLine($"unknown mode {mode}");
        return 2;
}

return 0;
