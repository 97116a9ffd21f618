using System.Net;
using System.Net.Sockets;

namespace IceGate.Server.Tests;

/// <summary>
/// A loopback TCP relay in front of a real server: the test cuts it to make that server
/// unreachable for icegate while the server itself keeps running for everyone else.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _cut = new();
    private readonly Task _accepting;

    public TcpRelay(Uri target)
    {
        _listener.Start();
        _accepting = AcceptAsync(target.Host, target.Port);
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Closes the listener and every relayed connection: new connections are refused.</summary>
    public async Task CutAsync()
    {
        await _cut.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CutAsync();
        _cut.Dispose();
    }

    private async Task AcceptAsync(string host, int port)
    {
        while (!_cut.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_cut.Token);
            _ = RelayAsync(client, host, port);
        }
    }

    private async Task RelayAsync(TcpClient client, string host, int port)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(host, port, _cut.Token);
                var up = client.GetStream().CopyToAsync(server.GetStream(), _cut.Token);
                var down = server.GetStream().CopyToAsync(client.GetStream(), _cut.Token);
                await Task.WhenAny(up, down);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
                // Cut, or one side closed.
            }
        }
    }
}
