using System.Runtime.InteropServices;
using EdgePruning.Runtime.Cpu;

namespace EdgePruning.Runtime;

/// <summary>
/// A contiguous row-major tensor: shape, dtype and a view into a storage in host or device memory.
/// Views (<see cref="Reshape"/>, <see cref="Rows"/>) share storage and copy nothing. Element access
/// (<see cref="Span"/>, <see cref="Pointer"/>) is for host tensors; a device tensor is read by kernels
/// through <see cref="DeviceAddress"/> and copied to the host explicitly.
/// </summary>
public sealed unsafe class Tensor
{
    private readonly Storage _storage;
    private readonly long _byteOffset;

    private Tensor(Storage storage, long byteOffset, DType dtype, Shape shape)
    {
        long need = shape.Count * dtype.SizeOf();
        if (byteOffset < 0 || byteOffset + need > storage.ByteLength)
            throw new ShapeException($"view {shape} {dtype.Name()} at byte {byteOffset} does not fit in a storage of {storage.ByteLength} bytes");
        _storage = storage;
        _byteOffset = byteOffset;
        DType = dtype;
        Shape = shape;
    }

    public Shape Shape { get; }
    public DType DType { get; }
    public long Count => Shape.Count;
    public long ByteLength => Shape.Count * DType.SizeOf();
    public Storage Storage => _storage;
    public long ByteOffset => _byteOffset;
    public bool IsOnDevice => _storage is IDeviceStorage;

    /// <summary>The first element in host memory. Throws for a device tensor: copy it to the host first.</summary>
    public byte* Pointer => _storage is HostStorage host
        ? host.Pointer + _byteOffset
        : throw new ShapeException($"tensor {Shape} lives on {_storage.Location}; copy it to the host before reading it there");

    /// <summary>The first element in device memory. Throws for a host tensor: copy it to the device first.</summary>
    public ulong DeviceAddress => _storage is IDeviceStorage device
        ? device.DeviceAddress + (ulong)_byteOffset
        : throw new ShapeException($"tensor {Shape} lives on the host; copy it to the device before a kernel reads it");

    public static Tensor Zeros(DType dtype, params int[] dims)
    {
        var shape = new Shape(dims);
        return new Tensor(new ArrayStorage(shape.Count * dtype.SizeOf(), zeroed: true), 0, dtype, shape);
    }

    public static Tensor Zeros(params int[] dims) => Zeros(DType.F32, dims);

    /// <summary>An uninitialized tensor: every element must be written before it is read.</summary>
    public static Tensor Empty(DType dtype, params int[] dims)
    {
        var shape = new Shape(dims);
        return new Tensor(new ArrayStorage(shape.Count * dtype.SizeOf(), zeroed: false), 0, dtype, shape);
    }

    public static Tensor FromData(ReadOnlySpan<float> data, params int[] dims)
    {
        var t = Empty(DType.F32, dims);
        if (data.Length != t.Count)
            throw new ShapeException($"{data.Length} values cannot fill a tensor of shape {t.Shape}");
        data.CopyTo(t.Span);
        return t;
    }

    /// <summary>A tensor over bytes owned elsewhere (for example a memory-mapped file).</summary>
    public static Tensor Wrap(Storage storage, long byteOffset, DType dtype, params int[] dims)
        => new(storage, byteOffset, dtype, new Shape(dims));

    /// <summary>The elements as f32. Throws for f16/bf16 storage: convert with <see cref="ToF32"/> first.</summary>
    public Span<float> Span
    {
        get
        {
            if (DType != DType.F32)
                throw new ShapeException($"tensor {Shape} holds {DType.Name()}; convert it to f32 before f32 math");
            return new Span<float>(Pointer, checked((int)Count));
        }
    }

    /// <summary>The raw elements reinterpreted as <typeparamref name="T"/> (whose size must match the dtype).</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (sizeof(T) != DType.SizeOf())
            throw new ShapeException($"cannot view {DType.Name()} elements as {typeof(T).Name}");
        return new Span<T>(Pointer, checked((int)Count));
    }

    public Span<byte> Bytes => new(Pointer, checked((int)ByteLength));

    /// <summary>Same storage, new shape with the same element count. One dimension may be -1.</summary>
    public Tensor Reshape(params int[] dims)
    {
        int infer = Array.IndexOf(dims, -1);
        if (infer >= 0)
        {
            long rest = 1;
            for (int i = 0; i < dims.Length; i++) if (i != infer) rest *= dims[i];
            dims = (int[])dims.Clone();
            dims[infer] = rest == 0 ? 0 : checked((int)(Count / rest));
        }
        var shape = new Shape(dims);
        if (shape.Count != Count) throw new ShapeException($"cannot reshape {Shape} into {shape}");
        return new Tensor(_storage, _byteOffset, DType, shape);
    }

    /// <summary>A view of <paramref name="count"/> consecutive entries along the first axis.</summary>
    public Tensor Rows(int start, int count)
    {
        if (Shape.Rank == 0) throw new ShapeException("cannot slice a scalar");
        if (start < 0 || count < 0 || start + count > Shape[0])
            throw new ShapeException($"rows {start}..{start + count} are outside {Shape}");
        var dims = Shape.Dims.ToArray();
        long rowBytes = dims[0] == 0 ? 0 : ByteLength / dims[0];
        dims[0] = count;
        return new Tensor(_storage, _byteOffset + start * rowBytes, DType, new Shape(dims));
    }

    /// <summary>The entry <paramref name="index"/> along the first axis, with that axis dropped.</summary>
    public Tensor Row(int index)
    {
        var view = Rows(index, 1);
        return view.Reshape(Shape.Dims[1..].ToArray());
    }

    /// <summary>This tensor in another dtype: itself when the dtype already matches, else a converted copy.</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var dst = Empty(dtype, Shape.Dims.ToArray());
        int n = checked((int)Count);
        var f32 = DType == DType.F32 ? Span : ConvertToFloat(n);
        switch (dtype)
        {
            case DType.F32: f32.CopyTo(dst.Span); break;
            case DType.BF16: HalfConversion.FloatToBF16(f32, dst.AsSpan<ushort>()); break;
            case DType.F16: HalfConversion.FloatToF16(f32, dst.AsSpan<Half>()); break;
        }
        return dst;
    }

    public Tensor ToF32() => To(DType.F32);

    private Span<float> ConvertToFloat(int n)
    {
        var tmp = new float[n];
        if (DType == DType.BF16) HalfConversion.BF16ToFloat(AsSpan<ushort>(), tmp);
        else HalfConversion.F16ToFloat(AsSpan<Half>(), tmp);
        return tmp;
    }

    /// <summary>A copy in fresh storage that this tensor does not share.</summary>
    public Tensor Clone()
    {
        var dst = Empty(DType, Shape.Dims.ToArray());
        Bytes.CopyTo(dst.Bytes);
        return dst;
    }

    public float[] ToArray() => ToF32().Span.ToArray();

    public void Fill(float value) => Span.Fill(value);

    public override string ToString() => $"Tensor{Shape} {DType.Name()}";
}
