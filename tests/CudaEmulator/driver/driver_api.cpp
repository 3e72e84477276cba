// The CUDA driver API entry points the engine binds (src/Runtime/Cuda/Native/CudaDriverApi.cs), plus the few
// neighbours a caller would expect (synchronous copies, peer copies, queries), with the driver's argument checks
// and error codes. Launch limits follow an H100: 1024 threads per block, 48 KiB of shared memory unless the
// function opted in to more (at most 227 KiB).
#include <cstring>
#include <map>

#include "emulator.h"

namespace emu
{
struct Event;
struct Stream;
Stream* CreateStream(int device);
bool DestroyStream(Stream* stream);
int RefuseUnsafeCall(const char* call);
int BeginCapture(Stream* stream, int mode);
int EndCapture(Stream* stream, Graph** graph);
int LaunchGraph(Graph* executable, Stream* stream);
Event* EventOf(void* handle);
Event* CreateEvent();
bool DestroyEvent(Event* e);
int RecordEvent(Event* e, Stream* stream);
int SynchronizeEvent(Event* e);
int ElapsedTime(float* milliseconds, Event* start, Event* end);
int WaitEvent(Stream* stream, Event* e);
int LoadModule(const void* image, Module** loaded);
int UnloadModule(Module* module);
int GetFunction(Module* module, const char* name, Function** function);
int FreeDeviceAllocations(int device);

namespace
{
struct Context
{
    int device;
};
Context contexts[64];

int Ready()
{
    if (!Initialized()) return NotInitialized;
    return Success;
}

int CurrentOrFail()
{
    int device = CurrentDevice();
    return device >= 0 ? device : -1;
}

// A copy between device ranges or host memory, checked when it runs (the ranges may be freed by then).
std::shared_ptr<Op> CopyOp(const char* name, uint64_t destination, bool destination_device, uint64_t source, bool source_device,
    uint64_t bytes, std::shared_ptr<std::vector<unsigned char>> staged)
{
    auto op = std::make_shared<Op>();
    op->name = name;
    std::string label = name;
    op->run = [=]() {
        if (destination_device)
            if (std::string why = CheckRange(destination, bytes); !why.empty())
            {
                SetDetail(label + ": destination " + why);
                return (int)IllegalAddress;
            }
        if (source_device)
            if (std::string why = CheckRange(source, bytes); !why.empty())
            {
                SetDetail(label + ": source " + why);
                return (int)IllegalAddress;
            }
        const void* from = staged ? (const void*)staged->data() : (const void*)(uintptr_t)source;
        std::memmove((void*)(uintptr_t)destination, from, bytes);
        return (int)Success;
    };
    return op;
}

int QueueCopy(void* stream_handle, const char* name, uint64_t destination, bool destination_device, uint64_t source, bool source_device,
    uint64_t bytes)
{
    if (int r = Ready()) return r;
    Stream* stream = StreamOf(stream_handle);
    if (!stream) return stream_handle ? InvalidHandle : InvalidContext;
    if (bytes == 0) return Success;
    if (destination_device)
        if (std::string why = CheckMapped(destination, bytes); !why.empty())
        {
            SetDetail(std::string(name) + ": destination " + why);
            return InvalidValue;
        }
    if (source_device)
        if (std::string why = CheckMapped(source, bytes); !why.empty())
        {
            SetDetail(std::string(name) + ": source " + why);
            return InvalidValue;
        }
    bool capturing = Capturing(stream);
    std::shared_ptr<std::vector<unsigned char>> staged;
    // From pageable memory the driver stages the bytes before returning; from pinned memory (or in a graph) it
    // reads them when the copy runs.
    if (!source_device && !capturing && !IsPinned((const void*)(uintptr_t)source))
        staged = std::make_shared<std::vector<unsigned char>>((const unsigned char*)(uintptr_t)source, (const unsigned char*)(uintptr_t)source + bytes);
    bool pageable_destination = !destination_device && !IsPinned((const void*)(uintptr_t)destination);
    if (capturing && pageable_destination)
        return RefuseWhileCapturing(stream, "a copy into pageable host memory");
    Enqueue(stream, CopyOp(name, destination, destination_device, source, source_device, bytes, staged));
    // A copy into pageable host memory returns when it is done.
    return pageable_destination ? Flush(stream) : Success;
}
}
}

using namespace emu;

EP_EXPORT int cuInit(unsigned flags)
{
    if (flags != 0) return InvalidValue;
    EnsureInitialized();
    return DeviceCount() > 0 ? Success : NoDevice;
}

EP_EXPORT int cuDriverGetVersion(int* version)
{
    if (!version) return InvalidValue;
    *version = 12080;
    return Success;
}

EP_EXPORT int cuDeviceGetCount(int* count)
{
    if (int r = Ready()) return r;
    if (!count) return InvalidValue;
    *count = DeviceCount();
    return Success;
}

EP_EXPORT int cuDeviceGet(int* device, int ordinal)
{
    if (int r = Ready()) return r;
    if (!device) return InvalidValue;
    if (!DeviceAt(ordinal)) return InvalidDevice;
    *device = ordinal;
    return Success;
}

EP_EXPORT int cuDeviceGetName(char* name, int length, int device)
{
    if (int r = Ready()) return r;
    if (!name || length <= 0) return InvalidValue;
    if (!DeviceAt(device)) return InvalidDevice;
    std::snprintf(name, (size_t)length, "EdgePruning CUDA emulator (emulated sm_90 device %d)", device);
    return Success;
}

EP_EXPORT int cuDeviceTotalMem_v2(size_t* bytes, int device)
{
    if (int r = Ready()) return r;
    Device* d = DeviceAt(device);
    if (!d) return InvalidDevice;
    if (!bytes) return InvalidValue;
    *bytes = d->capacity;
    return Success;
}

EP_EXPORT int cuDeviceGetAttribute(int* value, int attribute, int device)
{
    if (int r = Ready()) return r;
    if (!DeviceAt(device)) return InvalidDevice;
    if (!value) return InvalidValue;
    static const std::map<int, int> attributes = {
        {1, 1024}, {2, 1024}, {3, 1024}, {4, 64}, {5, 2147483647}, {6, 65535}, {7, 65535}, {8, 49152}, {9, 65536},
        {10, 32}, {12, 65536}, {13, 1755000}, {16, 132}, {36, 2619000}, {37, 5120}, {38, 52428800}, {39, 2048},
        {41, 1}, {75, 9}, {76, 0}, {81, 233472}, {82, 65536}, {97, MaxDynamicSharedOptIn}, {106, 32},
    };
    auto it = attributes.find(attribute);
    *value = it == attributes.end() ? 0 : it->second;
    return attribute > 0 && attribute < 140 ? Success : InvalidValue;
}

EP_EXPORT int cuDeviceCanAccessPeer(int* can, int device, int peer)
{
    if (int r = Ready()) return r;
    if (!DeviceAt(device) || !DeviceAt(peer)) return InvalidDevice;
    *can = device != peer;
    return Success;
}

EP_EXPORT int cuGetErrorName(int error, const char** name)
{
    if (!name) return InvalidValue;
    *name = ResultName(error);
    return *name ? Success : InvalidValue;
}

EP_EXPORT int cuGetErrorString(int error, const char** text)
{
    if (!text) return InvalidValue;
    *text = ResultText(error);
    return *text ? Success : InvalidValue;
}

// ---- contexts ------------------------------------------------------------------------------------------------
EP_EXPORT int cuDevicePrimaryCtxRetain(void** context, int device)
{
    if (int r = Ready()) return r;
    Device* d = DeviceAt(device);
    if (!d) return InvalidDevice;
    if (!context) return InvalidValue;
    contexts[device].device = device;
    d->primary_refs++;
    *context = &contexts[device];
    return Success;
}

EP_EXPORT int cuDevicePrimaryCtxRelease_v2(int device)
{
    if (int r = Ready()) return r;
    Device* d = DeviceAt(device);
    if (!d) return InvalidDevice;
    if (d->primary_refs <= 0) return InvalidContext;
    if (--d->primary_refs == 0)
    {
        // Destroying the primary context finishes its work and frees its memory.
        FlushDevice(device);
        FreeDeviceAllocations(device);
    }
    return Success;
}

EP_EXPORT int cuCtxSetCurrent(void* context)
{
    if (int r = Ready()) return r;
    if (!context)
    {
        SetCurrentDevice(-1);
        return Success;
    }
    auto* c = (Context*)context;
    if (c < contexts || c >= contexts + 64 || !DeviceAt(c->device)) return InvalidContext;
    SetCurrentDevice(c->device);
    return Success;
}

EP_EXPORT int cuCtxGetCurrent(void** context)
{
    if (!context) return InvalidValue;
    int device = CurrentDevice();
    *context = device >= 0 ? &contexts[device] : nullptr;
    return Success;
}

EP_EXPORT int cuCtxGetDevice(int* device)
{
    int current = CurrentDevice();
    if (current < 0) return InvalidContext;
    *device = current;
    return Success;
}

EP_EXPORT int cuCtxSynchronize(void)
{
    if (int r = Ready()) return r;
    int device = CurrentDevice();
    if (device < 0) return InvalidContext;
    if (Stream* s = StreamOf(nullptr))
        if (int refused = RefuseWhileCapturing(s, "cuCtxSynchronize")) return refused;
    return FlushDevice(device);
}

EP_EXPORT int cuCtxEnablePeerAccess(void* context, unsigned flags)
{
    if (!context || flags != 0) return InvalidValue;
    return Success;
}

// ---- memory --------------------------------------------------------------------------------------------------
EP_EXPORT int cuMemAlloc_v2(uint64_t* address, size_t bytes)
{
    if (int r = Ready()) return r;
    int device = CurrentOrFail();
    if (device < 0) return InvalidContext;
    if (!address) return InvalidValue;
    if (int refused = RefuseUnsafeCall("cuMemAlloc")) return refused;
    return Allocate(device, bytes, address);
}

EP_EXPORT int cuMemFree_v2(uint64_t address)
{
    if (int r = Ready()) return r;
    if (address == 0) return Success;
    if (int refused = RefuseUnsafeCall("cuMemFree")) return refused;
    // cuMemFree waits for the device's work, which may still use the memory.
    int device = ep_emu_device_of(address);
    if (device >= 0) FlushDevice(device);
    return Free(address);
}

EP_EXPORT int cuMemGetInfo_v2(size_t* free, size_t* total)
{
    if (int r = Ready()) return r;
    int device = CurrentOrFail();
    if (device < 0) return InvalidContext;
    Device* d = DeviceAt(device);
    if (!free || !total) return InvalidValue;
    *total = d->capacity;
    *free = d->capacity - d->live;
    return Success;
}

EP_EXPORT int cuMemAllocHost_v2(void** pointer, size_t bytes)
{
    if (int r = Ready()) return r;
    if (!pointer) return InvalidValue;
    *pointer = AllocatePinned(bytes);
    return *pointer ? Success : OutOfMemory;
}

EP_EXPORT int cuMemHostAlloc(void** pointer, size_t bytes, unsigned flags)
{
    return cuMemAllocHost_v2(pointer, bytes);
}

EP_EXPORT int cuMemFreeHost(void* pointer)
{
    if (int r = Ready()) return r;
    return FreePinned(pointer) ? Success : InvalidValue;
}

EP_EXPORT int cuMemcpyHtoDAsync_v2(uint64_t destination, const void* source, size_t bytes, void* stream)
{
    if (!source && bytes) return InvalidValue;
    return QueueCopy(stream, "cuMemcpyHtoDAsync", destination, true, (uint64_t)(uintptr_t)source, false, bytes);
}

EP_EXPORT int cuMemcpyDtoHAsync_v2(void* destination, uint64_t source, size_t bytes, void* stream)
{
    if (!destination && bytes) return InvalidValue;
    return QueueCopy(stream, "cuMemcpyDtoHAsync", (uint64_t)(uintptr_t)destination, false, source, true, bytes);
}

EP_EXPORT int cuMemcpyDtoDAsync_v2(uint64_t destination, uint64_t source, size_t bytes, void* stream)
{
    return QueueCopy(stream, "cuMemcpyDtoDAsync", destination, true, source, true, bytes);
}

EP_EXPORT int cuMemcpyPeerAsync(uint64_t destination, void* destination_context, uint64_t source, void* source_context, size_t bytes, void* stream)
{
    if (!destination_context || !source_context) return InvalidContext;
    return QueueCopy(stream, "cuMemcpyPeerAsync", destination, true, source, true, bytes);
}

EP_EXPORT int cuMemcpyHtoD_v2(uint64_t destination, const void* source, size_t bytes)
{
    int r = cuMemcpyHtoDAsync_v2(destination, source, bytes, nullptr);
    return r != Success ? r : Flush(StreamOf(nullptr));
}

EP_EXPORT int cuMemcpyDtoH_v2(void* destination, uint64_t source, size_t bytes)
{
    int r = cuMemcpyDtoHAsync_v2(destination, source, bytes, nullptr);
    return r != Success ? r : Flush(StreamOf(nullptr));
}

EP_EXPORT int cuMemsetD8Async(uint64_t destination, unsigned char value, size_t count, void* stream_handle)
{
    if (int r = Ready()) return r;
    Stream* stream = StreamOf(stream_handle);
    if (!stream) return InvalidHandle;
    if (count == 0) return Success;
    if (std::string why = CheckMapped(destination, count); !why.empty())
    {
        SetDetail("cuMemsetD8Async: " + why);
        return InvalidValue;
    }
    auto op = std::make_shared<Op>();
    op->name = "cuMemsetD8Async";
    op->run = [=]() {
        if (std::string why = CheckRange(destination, count); !why.empty())
        {
            SetDetail("cuMemsetD8Async: " + why);
            return (int)IllegalAddress;
        }
        std::memset((void*)(uintptr_t)destination, value, count);
        return (int)Success;
    };
    return Enqueue(stream, op);
}

// ---- streams and events --------------------------------------------------------------------------------------
EP_EXPORT int cuStreamCreate(void** stream, unsigned flags)
{
    if (int r = Ready()) return r;
    int device = CurrentOrFail();
    if (device < 0) return InvalidContext;
    if (!stream || flags > 1) return InvalidValue;
    *stream = CreateStream(device);
    return Success;
}

EP_EXPORT int cuStreamDestroy_v2(void* stream)
{
    if (int r = Ready()) return r;
    Stream* s = StreamOf(stream);
    if (!s || !stream) return InvalidHandle;
    return DestroyStream(s) ? Success : InvalidHandle;
}

EP_EXPORT int cuStreamSynchronize(void* stream)
{
    if (int r = Ready()) return r;
    Stream* s = StreamOf(stream);
    if (!s) return InvalidHandle;
    if (int refused = RefuseWhileCapturing(s, "cuStreamSynchronize")) return refused;
    return Flush(s);
}

EP_EXPORT int cuStreamQuery(void* stream)
{
    Stream* s = StreamOf(stream);
    if (!s) return InvalidHandle;
    return Flush(s);
}

EP_EXPORT int cuStreamWaitEvent(void* stream, void* event, unsigned flags)
{
    Stream* s = StreamOf(stream);
    Event* e = EventOf(event);
    if (!s || !e) return InvalidHandle;
    return WaitEvent(s, e);
}

EP_EXPORT int cuEventCreate(void** event, unsigned flags)
{
    if (int r = Ready()) return r;
    if (!event) return InvalidValue;
    *event = CreateEvent();
    return Success;
}

EP_EXPORT int cuEventDestroy_v2(void* event)
{
    Event* e = EventOf(event);
    return e && DestroyEvent(e) ? Success : InvalidHandle;
}

EP_EXPORT int cuEventRecord(void* event, void* stream)
{
    Event* e = EventOf(event);
    Stream* s = StreamOf(stream);
    if (!e || !s) return InvalidHandle;
    return RecordEvent(e, s);
}

EP_EXPORT int cuEventSynchronize(void* event)
{
    Event* e = EventOf(event);
    if (!e) return InvalidHandle;
    return SynchronizeEvent(e);
}

EP_EXPORT int cuEventElapsedTime(float* milliseconds, void* start, void* end)
{
    Event* a = EventOf(start);
    Event* b = EventOf(end);
    if (!a || !b) return InvalidHandle;
    if (!milliseconds) return InvalidValue;
    return ElapsedTime(milliseconds, a, b);
}

// ---- modules and launches ------------------------------------------------------------------------------------
EP_EXPORT int cuModuleLoadData(void** module, const void* image)
{
    if (int r = Ready()) return r;
    if (CurrentDevice() < 0) return InvalidContext;
    if (!module || !image) return InvalidValue;
    return LoadModule(image, (Module**)module);
}

EP_EXPORT int cuModuleUnload(void* module)
{
    return UnloadModule((Module*)module);
}

EP_EXPORT int cuModuleGetFunction(void** function, void* module, const char* name)
{
    if (!function) return InvalidValue;
    return GetFunction((Module*)module, name, (Function**)function);
}

EP_EXPORT int cuFuncSetAttribute(void* function, int attribute, int value)
{
    auto* f = (Function*)function;
    if (!f) return InvalidHandle;
    if (attribute != 8) return attribute >= 0 && attribute <= 10 ? Success : InvalidValue;   // only the dynamic shared size matters here
    if (value < 0 || (size_t)value + StaticSharedBytes(f->module) > (size_t)MaxDynamicSharedOptIn) return InvalidValue;
    f->max_dynamic_shared = value;
    return Success;
}

EP_EXPORT int cuFuncGetAttribute(int* value, int attribute, void* function)
{
    auto* f = (Function*)function;
    if (!f || !value) return InvalidValue;
    switch (attribute)
    {
    case 0: *value = 1024; return Success;                              // max threads per block
    case 1: *value = (int)StaticSharedBytes(f->module); return Success;  // static shared bytes
    case 8: *value = f->max_dynamic_shared; return Success;
    default: *value = 0; return Success;
    }
}

EP_EXPORT int cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
    unsigned shared_bytes, void* stream_handle, void** parameters, void** extra)
{
    if (int r = Ready()) return r;
    auto* f = (Function*)function;
    if (!f) return InvalidHandle;
    Stream* stream = StreamOf(stream_handle);
    if (!stream) return InvalidHandle;
    if (extra) return NotSupported;
    char text[256];
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || gx > 2147483647u || gy > 65535 || gz > 65535 || bx > 1024 ||
        by > 1024 || bz > 64 || (uint64_t)bx * by * bz > 1024)
    {
        std::snprintf(text, sizeof text, "cuLaunchKernel(%s): grid (%u,%u,%u) block (%u,%u,%u) is outside the device's limits", f->name.c_str(), gx, gy, gz,
            bx, by, bz);
        SetDetail(text);
        return InvalidValue;
    }
    size_t static_shared = StaticSharedBytes(f->module);
    if ((int)shared_bytes > f->max_dynamic_shared || static_shared + shared_bytes > (size_t)MaxDynamicSharedOptIn)
    {
        std::snprintf(text, sizeof text, "cuLaunchKernel(%s): %u bytes of dynamic shared memory, above the %d the function allows", f->name.c_str(),
            shared_bytes, f->max_dynamic_shared);
        SetDetail(text);
        return InvalidValue;
    }
    int count = f->info->parameter_count;
    if (count > 0 && !parameters) return InvalidValue;
    auto launch = std::make_shared<Launch>();
    launch->function = f;
    launch->grid[0] = gx, launch->grid[1] = gy, launch->grid[2] = gz;
    launch->block[0] = bx, launch->block[1] = by, launch->block[2] = bz;
    launch->dynamic_shared = shared_bytes;
    for (int i = 0; i < count; i++)
    {
        unsigned size = f->info->parameter_sizes[i];
        size_t offset = (launch->arguments.size() + 15) / 16 * 16;
        launch->arguments.resize(offset + size);
        std::memcpy(launch->arguments.data() + offset, parameters[i], size);
        launch->offsets.push_back(offset);
    }
    auto op = std::make_shared<Op>();
    op->name = f->name;
    op->run = [launch]() { return RunLaunch(*launch); };
    return Enqueue(stream, op);
}

// ---- graphs --------------------------------------------------------------------------------------------------
EP_EXPORT int cuStreamBeginCapture_v2(void* stream, int mode)
{
    if (int r = Ready()) return r;
    if (!stream) return StreamCaptureUnsupported;   // the legacy default stream cannot capture
    Stream* s = StreamOf(stream);
    if (!s) return InvalidHandle;
    return BeginCapture(s, mode);
}

EP_EXPORT int cuStreamEndCapture(void* stream, void** graph)
{
    Stream* s = StreamOf(stream);
    if (!s || !stream) return InvalidHandle;
    if (!graph) return InvalidValue;
    return EndCapture(s, (Graph**)graph);
}

EP_EXPORT int cuGraphInstantiateWithFlags(void** executable, void* graph, unsigned long long flags)
{
    if (!executable || !graph) return InvalidValue;
    auto* copy = new Graph(*(Graph*)graph);
    *executable = copy;
    return Success;
}

EP_EXPORT int cuGraphLaunch(void* executable, void* stream)
{
    Stream* s = StreamOf(stream);
    if (!s || !executable) return InvalidHandle;
    return LaunchGraph((Graph*)executable, s);
}

EP_EXPORT int cuGraphExecDestroy(void* executable)
{
    if (!executable) return InvalidValue;
    delete (Graph*)executable;
    return Success;
}

EP_EXPORT int cuGraphDestroy(void* graph)
{
    if (!graph) return InvalidValue;
    delete (Graph*)graph;
    return Success;
}

// The pool's view of a block, in stream order (see IDeviceAllocator.Annotate in the engine).
EP_EXPORT int ep_emu_annotate(void* stream_handle, uint64_t base, uint64_t bytes_in_use)
{
    if (int r = Ready()) return r;
    Stream* stream = StreamOf(stream_handle);
    if (!stream) return InvalidHandle;
    Allocation a;
    if (!Find(base, &a) || a.base != base || a.freed || bytes_in_use > a.mapped) return InvalidValue;
    auto op = std::make_shared<Op>();
    op->name = "ep_emu_annotate";
    op->run = [base, bytes_in_use]() { return Annotate(base, bytes_in_use) ? (int)Success : (int)InvalidValue; };
    return Enqueue(stream, op);
}
