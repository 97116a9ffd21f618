using System.Globalization;
using System.Text;
using IceGate.Lakehouse.Storage;
using IceGate.Lakehouse.Tests.Storage;

// A second OS process for the local store's cross-process tests. It waits for a start file so that
// the processes it races begin together, then:
//   create-race <root> <prefix> <rounds> <writer>: tries a create-only put of every round's key and
//     prints the rounds it won;
//   cas <root> <key> <increments>: adds <increments> to a CasCounter object.
var mode = args[0];
var store = new LocalObjectStore(args[1]);
var startSignal = Path.Combine(args[1], "start");
while (!File.Exists(startSignal))
{
    await Task.Delay(5);
}

switch (mode)
{
    case "create-race":
        var rounds = int.Parse(args[3], CultureInfo.InvariantCulture);
        for (var round = 0; round < rounds; round++)
        {
            var result = await store.PutAsync($"{args[2]}{round}", Encoding.UTF8.GetBytes(args[4]), PutCondition.IfNoneMatch);
            if (result.Written)
            {
                Console.WriteLine(round);
            }
        }

        break;
    case "cas":
        var increments = int.Parse(args[3], CultureInfo.InvariantCulture);
        for (var done = 0; done < increments; done++)
        {
            await CasCounter.IncrementAsync(store, args[2], CancellationToken.None);
        }

        break;
    default:
        Console.Error.WriteLine($"unknown mode {mode}");
        return 2;
}

return 0;
