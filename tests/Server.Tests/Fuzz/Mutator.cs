using System.Text;

namespace IceGate.Server.Tests.Fuzz;

/// <summary>
/// Seeded mutations of valid inputs: the byte and token edits that find the bugs a hand-written
/// parser has (off-by-one lengths, unbounded nesting, unchecked length fields, bad UTF-8).
/// </summary>
internal sealed class Mutator(int seed)
{
    // The characters LogQL, SQL and JSON give meaning to, so that edits reach past the lexer.
    private const string Punctuation = "{}()[]|=~!\"'`,.:;-+*/^%<>\\ \n\t$@#";
    private static readonly string[] s_words =
    [
        "sum", "by", "without", "rate", "count_over_time", "json", "logfmt", "unwrap", "line_format", "label_format", "offset", "bool", "on", "ignoring",
        "SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "LIMIT", "UNION ALL", "WITH", "JOIN", "logs", "spans", "metrics", "NULL", "1e309", "-0", "9223372036854775808",
        "{{", "}}", "{{.a}}", "\u00e9", "\ud83d\ude00", "\u0000", "[5m]", "[0s]", "[1ms]", "=~\".*\"", "\"(?i)\"", "\"[\"", "(", ")",
    ];

    private readonly Random _random = new(seed);

    public Random Random => _random;

    /// <summary>One to four text edits of <paramref name="text"/>: a character or word inserted, deleted or replaced, a piece repeated or spliced in.</summary>
    public string Text(string text, IReadOnlyList<string> corpus)
    {
        var builder = new StringBuilder(text);
        for (var edits = _random.Next(1, 5); edits > 0; edits--)
        {
            var at = builder.Length == 0 ? 0 : _random.Next(builder.Length + 1);
            switch (_random.Next(7))
            {
                case 0:
                    builder.Insert(at, Punctuation[_random.Next(Punctuation.Length)]);
                    break;
                case 1:
                    builder.Insert(at, s_words[_random.Next(s_words.Length)]);
                    break;
                case 2 when builder.Length > 0:
                    builder.Remove(Math.Min(at, builder.Length - 1), Math.Min(_random.Next(1, 8), builder.Length - Math.Min(at, builder.Length - 1)));
                    break;
                case 3 when builder.Length > 0:
                    builder[Math.Min(at, builder.Length - 1)] = Punctuation[_random.Next(Punctuation.Length)];
                    break;
                case 4:
                    {
                        // A piece repeated many times: nesting and long chains.
                        var start = builder.Length == 0 ? 0 : _random.Next(builder.Length);
                        var piece = builder.ToString(start, Math.Min(_random.Next(1, 6), builder.Length - start));
                        builder.Insert(start, string.Concat(Enumerable.Repeat(piece, _random.Next(2, 300))));
                        break;
                    }

                case 5:
                    {
                        var other = corpus[_random.Next(corpus.Count)];
                        var from = _random.Next(other.Length);
                        builder.Insert(at, other[from..Math.Min(other.Length, from + _random.Next(1, 30))]);
                        break;
                    }

                default:
                    builder.Insert(at, _random.Next(3) switch { 0 => "(((((((((((((((((((((((((((((((", 1 => "-------------------", _ => "\"" });
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>One to four byte edits of <paramref name="bytes"/>: flips, inserts, deletes, truncation, length fields made huge, repeats.</summary>
    public byte[] Bytes(byte[] bytes)
    {
        var list = new List<byte>(bytes);
        for (var edits = _random.Next(1, 5); edits > 0; edits--)
        {
            var at = list.Count == 0 ? 0 : _random.Next(list.Count);
            switch (_random.Next(7))
            {
                case 0 when list.Count > 0:
                    list[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    list.Insert(at, (byte)_random.Next(256));
                    break;
                case 2 when list.Count > 0:
                    list.RemoveRange(at, Math.Min(_random.Next(1, 16), list.Count - at));
                    break;
                case 3 when list.Count > 0:
                    list.RemoveRange(at, list.Count - at);
                    break;
                case 4:
                    // A varint that claims gigabytes.
                    list.InsertRange(at, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
                    break;
                case 5 when list.Count > 0:
                    {
                        var piece = list.GetRange(at, Math.Min(_random.Next(1, 64), list.Count - at));
                        for (var i = _random.Next(2, 50); i > 0; i--)
                        {
                            list.InsertRange(at, piece);
                        }

                        break;
                    }

                default:
                    if (list.Count > 0)
                    {
                        list[at] = (byte)(_random.Next(2) == 0 ? 0xFF : 0x00);
                    }

                    break;
            }
        }

        return [.. list];
    }

    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
