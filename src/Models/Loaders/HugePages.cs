using System.Runtime.InteropServices;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// Asks Linux to back a large block with transparent huge pages (madvise MADV_HUGEPAGE): where the kernel
/// allows it only on request, a block filled once at load then takes one fault per 2 MiB instead of one per
/// 4 KiB page. Advice only: elsewhere, or where the call fails, nothing changes.
/// </summary>
internal static unsafe partial class HugePages
{
    private const int MadvHugePage = 14;

    public static void Advise(void* block, nuint length)
    {
        if (!OperatingSystem.IsLinux() || length < (2u << 20)) return;
        try
        {
            _ = madvise(block, length, MadvHugePage);
        }
        catch (DllNotFoundException)
        {
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int madvise(void* address, nuint length, int advice);
}
