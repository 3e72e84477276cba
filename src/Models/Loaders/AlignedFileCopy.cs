using System.Runtime.InteropServices;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// A whole file read once into native memory placed so that one chosen byte of it (the start of a format's
/// float data) sits on a 64-byte boundary. A llama2.c file's floats start 28 bytes in, so mapped, every weight
/// row straddles cache lines and a matrix-vector product streams it about a third slower; this copy costs one
/// read of the file at load. The memory is freed when the last tensor over <see cref="Storage"/> is collected.
/// </summary>
public sealed unsafe class AlignedFileCopy
{
    private const int Alignment = 64;
    /// <summary>The block's own alignment: a transparent huge page, so that the copy faults in 2 MiB at a time.</summary>
    private const nuint BlockAlignment = 2 << 20;

    private readonly void* _block;

    private AlignedFileCopy(void* block, byte* pointer, long length)
    {
        _block = block;
        Storage = new ExternalStorage(pointer, length, this);
    }

    ~AlignedFileCopy() => NativeMemory.AlignedFree(_block);

    /// <summary>The file's bytes, from offset 0.</summary>
    public ExternalStorage Storage { get; }

    /// <summary>Reads <paramref name="path"/> so that its byte at <paramref name="alignedOffset"/> lies on a 64-byte boundary.</summary>
    public static AlignedFileCopy Read(string path, long alignedOffset)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        long length = RandomAccess.GetLength(handle);
        int lead = (int)((Alignment - alignedOffset % Alignment) % Alignment);
        nuint size = (nuint)(lead + length);
        void* block = NativeMemory.AlignedAlloc(size == 0 ? 1 : size, BlockAlignment);
        try
        {
            HugePages.Advise(block, size);
            byte* pointer = (byte*)block + lead;
            long done = 0;
            while (done < length)
            {
                int chunk = (int)Math.Min(length - done, 1 << 30);
                int read = RandomAccess.Read(handle, new Span<byte>(pointer + done, chunk), done);
                if (read <= 0) throw new ModelFormatException($"{path}: the file ended at byte {done:N0} of {length:N0} while it was read");
                done += read;
            }
            return new AlignedFileCopy(block, pointer, length);
        }
        catch
        {
            NativeMemory.AlignedFree(block);
            throw;
        }
    }
}
