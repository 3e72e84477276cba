using System.IO.MemoryMappedFiles;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// A whole file mapped copy-on-write: tensors view its pages without a copy, so a model loads in the time the
/// kernel takes to map it (pages come in from the page cache as the first forward touches them), and a write
/// into a weight stays private to this process. The mapping lives as long as a tensor over <see cref="Storage"/>.
/// </summary>
public sealed unsafe class MappedFile
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;

    private MappedFile(MemoryMappedFile map, MemoryMappedViewAccessor view, byte* pointer, long length)
    {
        _map = map;
        _view = view;
        Storage = new ExternalStorage(pointer, length, this);
    }

    /// <summary>The file's bytes, from offset 0.</summary>
    public ExternalStorage Storage { get; }

    public static MappedFile Open(string path)
    {
        long length = new FileInfo(path).Length;
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.CopyOnWrite);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new MappedFile(map, view, p + view.PointerOffset, length);
        }
        catch
        {
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }
}
