using System.Runtime.InteropServices;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>One GPU as the driver reports it.</summary>
public sealed record CudaDeviceInfo(int Ordinal, string Name, long TotalMemoryBytes, int ComputeMajor, int ComputeMinor, int Multiprocessors)
{
    /// <summary>Most dynamic shared memory one block may opt in to (227 KiB on an H100).</summary>
    public int MaxSharedBytesPerBlock { get; init; } = 48 * 1024;

    /// <summary>Peak DRAM bandwidth from the memory clock and bus width (bytes/s; 0 when unknown).</summary>
    public double PeakBandwidthBytesPerSecond { get; init; }
}

/// <summary>What the CUDA driver on this machine offers: its version and its devices.</summary>
public sealed record CudaEnvironment(string DriverLibrary, int DriverVersion, IReadOnlyList<CudaDeviceInfo> Devices)
{
    /// <summary>The driver's CUDA version as "13.0".</summary>
    public string DriverVersionText => $"{DriverVersion / 1000}.{DriverVersion % 1000 / 10}";
}

public static unsafe class CudaDevices
{
    /// <summary>
    /// Loads the driver, initializes it and lists the devices. Throws <see cref="CudaUnavailableException"/>
    /// saying why none is usable (no driver library, with every path tried; or the driver's own error).
    /// </summary>
    public static CudaEnvironment Query()
    {
        CudaLibraryResolver.EnsureRegistered();
        var (_, path) = CudaLibraryResolver.Require(CudaLibraryResolver.Driver);
        Check(CudaDriverApi.cuInit(0), "cuInit", path);
        int version, count;
        Check(CudaDriverApi.cuDriverGetVersion(&version), "cuDriverGetVersion", path);
        Check(CudaDriverApi.cuDeviceGetCount(&count), "cuDeviceGetCount", path);
        var devices = new List<CudaDeviceInfo>();
        byte* name = stackalloc byte[256];
        for (int i = 0; i < count; i++)
        {
            int device, major, minor, sms, shared, memoryClockKhz, busBits;
            nuint bytes;
            Check(CudaDriverApi.cuDeviceGet(&device, i), "cuDeviceGet", path);
            Check(CudaDriverApi.cuDeviceGetName(name, 256, device), "cuDeviceGetName", path);
            Check(CudaDriverApi.cuDeviceTotalMem(&bytes, device), "cuDeviceTotalMem_v2", path);
            Check(CudaDriverApi.cuDeviceGetAttribute(&major, CudaDriverApi.DeviceAttributeComputeCapabilityMajor, device), "cuDeviceGetAttribute", path);
            Check(CudaDriverApi.cuDeviceGetAttribute(&minor, CudaDriverApi.DeviceAttributeComputeCapabilityMinor, device), "cuDeviceGetAttribute", path);
            Check(CudaDriverApi.cuDeviceGetAttribute(&sms, CudaDriverApi.DeviceAttributeMultiprocessorCount, device), "cuDeviceGetAttribute", path);
            Check(CudaDriverApi.cuDeviceGetAttribute(&shared, CudaDriverApi.DeviceAttributeMaxSharedMemoryPerBlockOptin, device), "cuDeviceGetAttribute", path);
            Check(CudaDriverApi.cuDeviceGetAttribute(&memoryClockKhz, CudaDriverApi.DeviceAttributeMemoryClockRate, device), "cuDeviceGetAttribute", path);
            Check(CudaDriverApi.cuDeviceGetAttribute(&busBits, CudaDriverApi.DeviceAttributeGlobalMemoryBusWidth, device), "cuDeviceGetAttribute", path);
            devices.Add(new CudaDeviceInfo(i, Marshal.PtrToStringUTF8((IntPtr)name) ?? "?", (long)bytes, major, minor, sms)
            {
                MaxSharedBytesPerBlock = shared,
                // Double data rate: two transfers per memory clock over the whole bus.
                PeakBandwidthBytesPerSecond = 2.0 * memoryClockKhz * 1000.0 * busBits / 8.0,
            });
        }
        return new CudaEnvironment(path, version, devices);
    }

    private static void Check(int result, string call, string library)
    {
        if (result == 0) return;
        byte* text = null;
        string name = CudaDriverApi.cuGetErrorName(result, &text) == 0 && text != null
            ? Marshal.PtrToStringUTF8((IntPtr)text) ?? result.ToString()
            : result.ToString();
        throw new CudaUnavailableException($"{call} failed with {name} (driver {library})");
    }
}
