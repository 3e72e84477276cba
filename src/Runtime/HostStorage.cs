using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgePruning.Runtime;

/// <summary>Bytes in host memory that tensors view. Owned arrays are pinned so that pointers stay valid.</summary>
public abstract unsafe class HostStorage : Storage
{
    public abstract byte* Pointer { get; }
    public override string Location => "host";
}

/// <summary>Storage in a pinned managed array: freed by the GC, never moved.</summary>
public sealed unsafe class ArrayStorage : HostStorage
{
    private readonly byte[] _bytes;

    public ArrayStorage(long byteLength, bool zeroed = true)
    {
        if (byteLength > Array.MaxLength)
            throw new EdgePruningException($"tensor of {byteLength:N0} bytes is larger than one host allocation can hold");
        _bytes = zeroed
            ? GC.AllocateArray<byte>((int)byteLength, pinned: true)
            : GC.AllocateUninitializedArray<byte>((int)byteLength, pinned: true);
    }

    public override byte* Pointer => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_bytes));
    public override long ByteLength => _bytes.Length;
}

/// <summary>Storage that lives inside memory owned by someone else (a mapped file); keeps the owner alive.</summary>
public sealed unsafe class ExternalStorage : HostStorage
{
    private readonly byte* _pointer;
    private readonly long _length;
    private readonly object _owner;

    public ExternalStorage(byte* pointer, long length, object owner)
    {
        _pointer = pointer;
        _length = length;
        _owner = owner;
    }

    public override byte* Pointer => _pointer;
    public override long ByteLength => _length;
    public override bool IsReadOnly => true;
    public object Owner => _owner;
}
