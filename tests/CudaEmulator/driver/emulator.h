// Internal declarations of the emulated driver (libcuda.so.1): devices and contexts, the tracking allocator,
// streams and graphs, modules and kernel launches. One header, since these pieces share a handful of types.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ep_emu_host.h"

#define EP_EXPORT extern "C" __attribute__((visibility("default")))

namespace emu
{
// CUresult values the emulator returns (same numbers as cuda.h).
enum Result : int
{
    Success = 0,
    InvalidValue = 1,
    OutOfMemory = 2,
    NotInitialized = 3,
    NoDevice = 100,
    InvalidDevice = 101,
    InvalidImage = 200,
    InvalidContext = 201,
    InvalidHandle = 400,
    NotFound = 500,
    NotReady = 600,
    IllegalAddress = 700,
    LaunchOutOfResources = 701,
    LaunchFailed = 719,
    NotSupported = 801,
    StreamCaptureUnsupported = 900,
    StreamCaptureInvalidated = 901,
    StreamCaptureWrongThread = 908,
};

const char* ResultName(int result);
const char* ResultText(int result);
// The detailed message of the last failure (kernel, thread, address), shown after the driver's text.
void SetDetail(const std::string& detail);
std::string Detail();

// ---- devices -------------------------------------------------------------------------------------------------
struct Device
{
    int ordinal = 0;
    uint64_t capacity = 0;     // bytes the device pretends to have
    uint64_t live = 0;         // bytes allocated now
    int primary_refs = 0;      // retains of the primary context
};
int DeviceCount();
Device* DeviceAt(int ordinal);
void EnsureInitialized();
bool Initialized();
// The device of the calling thread's current context, or -1.
int CurrentDevice();
void SetCurrentDevice(int device);

// ---- memory --------------------------------------------------------------------------------------------------
// Device memory: each allocation gets pages of its own in a per-device reservation that is never reused, so a
// freed range stays recognisable. Lookups find the allocation holding an address, live or freed.
struct Allocation
{
    uint64_t base = 0;
    uint64_t size = 0;        // bytes asked for
    uint64_t mapped = 0;      // bytes mapped (pages)
    int device = 0;
    uint64_t serial = 0;      // the n-th allocation of the process
    bool freed = false;
    bool released = false;    // a pool block its pool took back (ep_emu_annotate with 0 bytes in use)
};
int Allocate(int device, uint64_t bytes, uint64_t* address);
int Free(uint64_t address);
// Holds accesses to the first `bytes_in_use` bytes of the allocation at `base` (its pool's view of it); 0: taken back.
bool Annotate(uint64_t base, uint64_t bytes_in_use);
// A copy of the allocation holding [address, address + bytes) (or nearest to it); false when none is near.
bool Find(uint64_t address, Allocation* found);
// "" when [address, address + bytes) is inside one live allocation, else why not.
std::string CheckRange(uint64_t address, uint64_t bytes);
// Like CheckRange, but against the whole pages of a live allocation: what a call can check before its work runs
// (a pool's view of its blocks changes in stream order).
std::string CheckMapped(uint64_t address, uint64_t bytes);
// Live allocations whose ranges hold any of the given addresses (for the race mode's snapshots).
std::vector<Allocation> AllocationsHolding(const std::vector<uint64_t>& addresses);
bool IsPinned(const void* host);
void* AllocatePinned(size_t bytes);
bool FreePinned(void* host);

// ---- streams, events, graphs ---------------------------------------------------------------------------------
struct Op
{
    std::string name;
    std::function<int()> run;   // returns a Result; on failure SetDetail says why
};
struct Graph
{
    std::vector<std::shared_ptr<Op>> nodes;
};
struct Stream;
Stream* StreamOf(void* handle);   // 0 → the default stream of the current device
int Enqueue(Stream* stream, std::shared_ptr<Op> op);
int Flush(Stream* stream);        // runs what is queued; the first failure's result
int FlushDevice(int device);
bool Capturing(Stream* stream);
int CaptureMode(Stream* stream);
// Refuses (and invalidates a capture) when a capturing stream of this thread forbids a synchronizing call.
int RefuseWhileCapturing(Stream* stream, const char* call);
int StreamDevice(Stream* stream);

// ---- modules and launches ------------------------------------------------------------------------------------
struct KernelInfo
{
    const char* name;
    void (*invoke)(void** arguments);
    int parameter_count;
    const unsigned* parameter_sizes;
};
struct Module;
struct Function
{
    Module* module = nullptr;
    const KernelInfo* info = nullptr;
    std::string name;
    int max_dynamic_shared = 48 * 1024;
};
struct Launch
{
    Function* function = nullptr;
    unsigned grid[3] = {1, 1, 1};
    unsigned block[3] = {1, 1, 1};
    unsigned dynamic_shared = 0;
    std::vector<unsigned char> arguments;   // packed copies of the parameters
    std::vector<size_t> offsets;            // where each parameter starts in `arguments`
};
int RunLaunch(const Launch& launch);
size_t StaticSharedBytes(Module* module);
// The module's shared memory for the calling host thread: its thread-local block and its dynamic arrays.
struct SharedRegion
{
    uint8_t* begin = nullptr;
    size_t size = 0;
    std::vector<uint8_t*> dynamic_arrays;
};
SharedRegion SharedOf(Module* module);
bool InModuleImage(Module* module, uint64_t address, uint64_t bytes);

constexpr int MaxDynamicSharedOptIn = 232448;   // an H100's 227 KiB
constexpr int DefaultSharedLimit = 48 * 1024;

// Race mode: each launch runs twice, the threads of every block in another order between barriers the second
// time, and the results must agree. 0 off, 1 reversed, 2 shuffled with the seed.
void SetRaceMode(int mode, uint64_t seed);
int RaceMode();
uint64_t RaceSeed();
}

namespace emu
{
// Called by the kernels' memory-access instrumentation and the atomics: faults the running thread (never
// returns) when [address, address + bytes) is not memory it may touch.
void CheckAccess(uint64_t address, uint64_t bytes, bool write);
void NoteFloatAtomic();
}
