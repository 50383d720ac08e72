using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace EdgePortal.Testing.Lab;

/// <summary>One answer of the state service as the probe client printed it.</summary>
public sealed record Answer(long TimeUs, ulong Counter, ulong Steps, ulong Checksum, char Kind);
