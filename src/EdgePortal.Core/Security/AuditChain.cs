using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EdgePortal.Core.Security;

/// <summary>
/// The audit log's hash chain. Each entry's hash is SHA-256 over its own content (sequence, id, time, actor, action, target,
/// detail, tenant, outcome) and the hash of the entry before, so changing, removing, inserting or reordering any entry breaks
/// the chain from there on. Every store links entries with <see cref="Link"/> and every reader checks them with
/// <see cref="Verifier"/>, so a provider (LiteDB, PostgreSQL) cannot hash differently. Someone who can rewrite the whole store
/// can also rewrite the whole chain: keep the head hash a verification reports somewhere else to detect that.
/// </summary>
public static class AuditChain
{
    /// <summary>The previous hash of the first entry ever appended.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary><paramref name="entry"/> as the entry after <paramref name="head"/> (null: the first).</summary>
    public static AuditEntry Link(AuditEntry entry, AuditEntry? head)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var linked = entry with { Sequence = (head?.Sequence ?? 0) + 1, PreviousHash = head?.Hash ?? Genesis, Hash = "" };
        return linked with { Hash = HashOf(linked) };
    }

    /// <summary>The hash <paramref name="entry"/> should carry, from its content and its <see cref="AuditEntry.PreviousHash"/>.</summary>
    public static string HashOf(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Each field is length-prefixed, so that no two different entries encode alike ("ab"+"c" ≠ "a"+"bc").
        Field(hash, entry.Sequence.ToString(CultureInfo.InvariantCulture));
        Field(hash, entry.Id.ToString("D"));
        Field(hash, entry.At.UtcTicks.ToString(CultureInfo.InvariantCulture));
        Field(hash, entry.Actor);
        Field(hash, entry.Action);
        Field(hash, entry.Target);
        Field(hash, entry.Detail);
        Field(hash, entry.TenantId?.ToString("D") ?? "");
        Field(hash, entry.Succeeded ? "1" : "0");
        Field(hash, entry.PreviousHash);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Field(IncrementalHash hash, string? value)
    {
        var bytes = Encoding.UTF8.GetBytes(value ?? "");
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }

    /// <summary>Reads the whole chain from <paramref name="log"/> in pages and checks it (see <see cref="Verifier"/>).</summary>
    public static AuditChainReport Verify(IAuditLog log, DateTimeOffset checkedAt, int pageSize = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        var verifier = new Verifier();
        var after = 0L;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = log.Chain(after, pageSize);
            foreach (var entry in page)
            {
                if (!verifier.Check(entry))
                    return verifier.Report(checkedAt);
            }
            if (page.Count < pageSize)
                return verifier.Report(checkedAt);
            after = page[^1].Sequence;
        }
    }

    /// <summary>
    /// Checks entries given in sequence order, one at a time, and stops at the first that breaks the chain. The first entry
    /// it is given may come after entries removed by retention: its own hash must hold, and the chain is checked from there.
    /// </summary>
    public sealed class Verifier
    {
        private AuditEntry? _previous;
        private long _count;
        private long? _first;

        public AuditChainBreak? Break { get; private set; }

        /// <summary>False (and <see cref="Break"/> set) when <paramref name="entry"/> breaks the chain.</summary>
        public bool Check(AuditEntry entry)
        {
            ArgumentNullException.ThrowIfNull(entry);
            if (Break is not null)
                return false;
            string? reason = null;
            if (entry.Sequence < 1 || string.IsNullOrEmpty(entry.Hash))
                reason = "it was never linked into the chain (no sequence or hash): it was written around the log";
            else if (_previous is { } previous && entry.Sequence != previous.Sequence + 1)
                reason = entry.Sequence > previous.Sequence + 1
                    ? $"the entries {previous.Sequence + 1}..{entry.Sequence - 1} before it are missing (removed)"
                    : $"it repeats or reorders the sequence (after {previous.Sequence})";
            else if (_previous is null && entry.Sequence == 1 && entry.PreviousHash != Genesis)
                reason = "the first entry does not start the chain";
            else if (_previous is { } before && entry.PreviousHash != before.Hash)
                reason = $"its previous hash is not the hash of entry {before.Sequence}: an entry was changed or replaced";
            else if (HashOf(entry) != entry.Hash)
                reason = "its content does not match its hash: it was changed after it was written";
            if (reason is not null)
            {
                Break = new AuditChainBreak(entry.Sequence, entry.Id, entry.At, reason);
                return false;
            }
            _first ??= entry.Sequence;
            _count++;
            _previous = entry;
            return true;
        }

        public AuditChainReport Report(DateTimeOffset checkedAt) => new(Break is null, _count, _first, _previous?.Sequence, _previous?.Hash, Break, checkedAt);
    }
}

/// <summary>
/// What a verification of the audit chain found: whether it is intact, how many entries it checked (from sequence
/// <see cref="FirstSequence"/> to <see cref="LastSequence"/>, the last good one when it broke), the hash of the last good
/// entry (keep it elsewhere: a later report whose chain does not pass through it shows a rewrite), and where it breaks.
/// </summary>
public sealed record AuditChainReport(bool Intact, long EntriesChecked, long? FirstSequence, long? LastSequence, string? HeadHash, AuditChainBreak? FirstBreak,
    DateTimeOffset CheckedAt);

/// <summary>The first entry that breaks the chain, and why.</summary>
public sealed record AuditChainBreak(long Sequence, Guid EntryId, DateTimeOffset At, string Reason);
