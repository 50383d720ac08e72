using System.Buffers.Binary;
using EdgePortal.Agent.Contracts;

namespace EdgePortal.Agent.Criu;

/// <summary>
/// Reads CRIU's own <c>stats-dump</c> / <c>stats-restore</c> image files without <c>crit</c> (a Python tool the CI build
/// does not make): the file is two little-endian magics (<c>IMG_SERVICE_MAGIC</c>, <c>STATS_MAGIC</c>), a 32-bit length
/// and one protobuf <c>stats_entry</c>, decoded here by a minimal protobuf reader (varints and length-delimited fields;
/// anything else is skipped by wire type).
/// </summary>
public static class CriuStatsReader
{
    public const uint ServiceMagic = 0x55105940;
    public const uint StatsMagic = 0x57093306;

    public static CriuDumpStats? ReadDump(string path) => File.Exists(path) ? Parse(File.ReadAllBytes(path)).Dump : null;

    public static CriuRestoreStats? ReadRestore(string path) => File.Exists(path) ? Parse(File.ReadAllBytes(path)).Restore : null;

    public static (CriuDumpStats? Dump, CriuRestoreStats? Restore) Parse(ReadOnlySpan<byte> file)
    {
        var offset = 0;
        if (file.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(file) == ServiceMagic)
            offset = 4;
        if (file.Length < offset + 8 || BinaryPrimitives.ReadUInt32LittleEndian(file[offset..]) != StatsMagic)
            throw new InvalidDataException("Not a CRIU stats image (magic mismatch).");
        offset += 4;
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file[offset..]);
        offset += 4;
        if (length < 0 || file.Length < offset + length)
            throw new InvalidDataException($"Truncated CRIU stats image: entry of {length} bytes, {file.Length - offset} left.");
        CriuDumpStats? dump = null;
        CriuRestoreStats? restore = null;
        foreach (var (field, _, bytes) in Fields(file.Slice(offset, length).ToArray()))
        {
            if (field == 1 && bytes is not null)
                dump = ParseDump(bytes);
            else if (field == 2 && bytes is not null)
                restore = ParseRestore(bytes);
        }
        return (dump, restore);
    }

    private static CriuDumpStats ParseDump(byte[] message)
    {
        var v = Varints(message);
        return new CriuDumpStats((uint)v.GetValueOrDefault(1), (uint)v.GetValueOrDefault(2), (uint)v.GetValueOrDefault(3), (uint)v.GetValueOrDefault(4),
            v.GetValueOrDefault(5), v.GetValueOrDefault(6), v.GetValueOrDefault(7), v.GetValueOrDefault(9));
    }

    private static CriuRestoreStats ParseRestore(byte[] message)
    {
        var v = Varints(message);
        return new CriuRestoreStats(v.GetValueOrDefault(1), v.GetValueOrDefault(2), (uint)v.GetValueOrDefault(3), (uint)v.GetValueOrDefault(4), v.GetValueOrDefault(5));
    }

    private static Dictionary<int, ulong> Varints(byte[] message) =>
        Fields(message).Where(f => f.Bytes is null).GroupBy(f => f.Field).ToDictionary(g => g.Key, g => g.Last().Value);

    private static List<(int Field, ulong Value, byte[]? Bytes)> Fields(byte[] message)
    {
        var fields = new List<(int, ulong, byte[]?)>();
        var i = 0;
        while (i < message.Length)
        {
            var key = ReadVarint(message, ref i);
            var field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    fields.Add((field, ReadVarint(message, ref i), null));
                    break;
                case 1:
                    i += 8;
                    break;
                case 2:
                    var n = (int)ReadVarint(message, ref i);
                    if (n < 0 || i + n > message.Length)
                        throw new InvalidDataException("Truncated length-delimited field in a CRIU stats image.");
                    fields.Add((field, 0, message[i..(i + n)]));
                    i += n;
                    break;
                case 5:
                    i += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {key & 7} in a CRIU stats image.");
            }
        }
        return fields;
    }

    private static ulong ReadVarint(byte[] buffer, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (i >= buffer.Length)
                throw new InvalidDataException("Truncated varint in a CRIU stats image.");
            var b = buffer[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new InvalidDataException("Varint longer than 64 bits in a CRIU stats image.");
    }
}
