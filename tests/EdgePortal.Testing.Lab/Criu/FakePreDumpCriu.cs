using System.Diagnostics;

namespace EdgePortal.Testing.Lab;

/// <summary>
/// A wrapper around the real criu for a host without soft-dirty tracking (this kernel): it fakes what such a host cannot
/// do and delegates the rest. <c>pre-dump</c> is validated (--track-mem, a relative --prev-images-dir naming the previous
/// round) and writes a plausible round (pages, pagemap, the <c>parent</c> link CRIU makes); a <c>dump</c> with
/// --prev-images-dir is validated the same way, gets its parent link, and runs as the real dump without the two flags;
/// <c>restore</c> first checks that the parent links resolve to rounds with pages, then runs the real restore;
/// <c>check --feature mem_dirty_track</c> says yes. Every call is appended to <see cref="CallsLog"/>.
/// </summary>
public sealed class FakePreDumpCriu
{
    private FakePreDumpCriu(string path, string callsLog)
    {
        Path = path;
        CallsLog = callsLog;
    }

    public string Path { get; }

    public string CallsLog { get; }

    public IReadOnlyList<string> Calls => File.Exists(CallsLog) ? File.ReadAllLines(CallsLog) : [];

    public static async Task<FakePreDumpCriu> WriteAsync(string folder, string realCriu = EdgePortal.Agent.Criu.CriuDriver.DefaultPath)
    {
        var path = System.IO.Path.Combine(folder, "criu-fake-pre-dump");
        var calls = System.IO.Path.Combine(folder, "criu-calls.log");
        var script = $$"""
            #!/bin/sh
            log='{{calls}}'
            echo "$*" >> "$log"
            fail() { echo "fake criu: $*" >&2; echo "FAILED $*" >> "$log"; exit 1; }
            dir=; prev=; track=0; expect=
            for a in "$@"; do
              case "$expect" in D) dir=$a ;; P) prev=$a ;; esac
              expect=
              case "$a" in -D) expect=D ;; --prev-images-dir) expect=P ;; --track-mem) track=1 ;; esac
            done
            parent() {
              case "$prev" in /*) fail "--prev-images-dir $prev is absolute: CRIU's parent link must survive the images moving" ;; esac
              [ -f "$dir/$prev/pages-1.img" ] || fail "--prev-images-dir $prev: no pre-dump round at $dir/$prev"
              ln -s "$prev" "$dir/parent"
            }
            case "$1" in
              pre-dump)
                [ $track = 1 ] || fail "pre-dump without --track-mem"
                mkdir -p "$dir"
                if [ -n "$prev" ]; then parent; head -c 8192 /dev/urandom > "$dir/pages-1.img"
                else head -c 65536 /dev/urandom > "$dir/pages-1.img"; fi
                echo pagemap > "$dir/pagemap-1.img"
                echo "fake pre-dump" > "$dir/pre-dump.log"
                exit 0 ;;
              dump)
                if [ -n "$prev" ]; then
                  [ $track = 1 ] || fail "dump with --prev-images-dir but without --track-mem"
                  parent
                  skip=0
                  for a do
                    shift
                    if [ $skip = 1 ]; then skip=0; continue; fi
                    case "$a" in --track-mem) continue ;; --prev-images-dir) skip=1; continue ;; esac
                    set -- "$@" "$a"
                  done
                fi ;;
              restore)
                p=$dir
                while [ -L "$p/parent" ]; do
                  p=$p/parent
                  [ -f "$p/pages-1.img" ] || fail "restore: the parent link $p leads to no pre-dump round"
                  echo "parent $(readlink "$p")" >> "$log"
                done ;;
              check)
                case "$*" in *mem_dirty_track*) echo "mem_dirty_track is supported"; exit 0 ;; esac
                if [ "$2" = --all ]; then '{{realCriu}}' "$@" 2>&1 | grep -v 'Dirty tracking is OFF'; exit 0; fi ;;
            esac
            exec '{{realCriu}}' "$@"
            """;
        await File.WriteAllTextAsync(path, script.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new FakePreDumpCriu(path, calls);
    }

    /// <summary>A process CRIU can dump and restore: <c>sleep</c> in a session of its own, no terminal.</summary>
    public static Process StartSleeper()
    {
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("sleep");
        info.ArgumentList.Add("1000");
        var process = Process.Start(info) ?? throw new InvalidOperationException("setsid sleep did not start");
        process.StandardInput.Close();
        return process;
    }
}
