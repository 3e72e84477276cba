// Emulated devices and errors: how many devices the driver shows and each one's memory (EP_EMU_DEVICES,
// EP_EMU_DEVICE_MEMORY: "4GiB" or one size per device, "4GiB,256MiB"), the calling thread's current device, and
// the driver's error names and texts (with the detail of the calling thread's last failure: kernel, thread, address).
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "emulator.h"

namespace emu
{
namespace
{
std::mutex gate;
bool initialized = false;
std::vector<Device> devices;
thread_local int current_device = -1;
thread_local std::string last_detail;   // a failure is read back on the thread that met it
thread_local std::string text_buffer;

uint64_t ParseBytes(const std::string& text, uint64_t fallback)
{
    if (text.empty()) return fallback;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    std::string unit = end ? std::string(end) : "";
    double scale = 1;
    if (unit == "KiB" || unit == "K") scale = 1024.0;
    else if (unit == "MiB" || unit == "M") scale = 1024.0 * 1024;
    else if (unit == "GiB" || unit == "G") scale = 1024.0 * 1024 * 1024;
    else if (!unit.empty()) return fallback;
    return value > 0 ? (uint64_t)(value * scale) : fallback;
}
}

void EnsureInitialized()
{
    std::lock_guard lock(gate);
    if (initialized) return;
    int count = 1;
    if (const char* text = std::getenv("EP_EMU_DEVICES")) count = std::max(0, std::atoi(text));
    std::vector<std::string> sizes;
    if (const char* text = std::getenv("EP_EMU_DEVICE_MEMORY"))
    {
        std::stringstream parts(text);
        std::string part;
        while (std::getline(parts, part, ',')) sizes.push_back(part);
    }
    const uint64_t fallback = 8ull << 30;
    for (int i = 0; i < count; i++)
    {
        Device d;
        d.ordinal = i;
        d.capacity = sizes.empty() ? fallback : ParseBytes(sizes[std::min<size_t>(i, sizes.size() - 1)], fallback);
        devices.push_back(d);
    }
    initialized = true;
}

bool Initialized()
{
    std::lock_guard lock(gate);
    return initialized;
}

int DeviceCount()
{
    std::lock_guard lock(gate);
    return (int)devices.size();
}

Device* DeviceAt(int ordinal)
{
    std::lock_guard lock(gate);
    return ordinal >= 0 && ordinal < (int)devices.size() ? &devices[ordinal] : nullptr;
}

int CurrentDevice() { return current_device; }
void SetCurrentDevice(int device) { current_device = device; }

void SetDetail(const std::string& detail) { last_detail = detail; }

// The detail of the last failure, once: an error met later without one of its own does not borrow it.
std::string Detail()
{
    std::string detail;
    detail.swap(last_detail);
    return detail;
}

const char* ResultName(int result)
{
    switch (result)
    {
    case Success: return "CUDA_SUCCESS";
    case InvalidValue: return "CUDA_ERROR_INVALID_VALUE";
    case OutOfMemory: return "CUDA_ERROR_OUT_OF_MEMORY";
    case NotInitialized: return "CUDA_ERROR_NOT_INITIALIZED";
    case NoDevice: return "CUDA_ERROR_NO_DEVICE";
    case InvalidDevice: return "CUDA_ERROR_INVALID_DEVICE";
    case InvalidImage: return "CUDA_ERROR_INVALID_IMAGE";
    case InvalidContext: return "CUDA_ERROR_INVALID_CONTEXT";
    case 401: return "CUDA_ERROR_ILLEGAL_STATE";
    case InvalidHandle: return "CUDA_ERROR_INVALID_HANDLE";
    case NotFound: return "CUDA_ERROR_NOT_FOUND";
    case NotReady: return "CUDA_ERROR_NOT_READY";
    case IllegalAddress: return "CUDA_ERROR_ILLEGAL_ADDRESS";
    case LaunchOutOfResources: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
    case LaunchFailed: return "CUDA_ERROR_LAUNCH_FAILED";
    case NotSupported: return "CUDA_ERROR_NOT_SUPPORTED";
    case StreamCaptureUnsupported: return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
    case StreamCaptureInvalidated: return "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
    case StreamCaptureWrongThread: return "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD";
    default: return nullptr;
    }
}

const char* ResultText(int result)
{
    const char* base;
    switch (result)
    {
    case Success: return "no error";
    case InvalidValue: base = "invalid argument"; break;
    case OutOfMemory: base = "out of memory"; break;
    case NotInitialized: base = "initialization error"; break;
    case NoDevice: base = "no CUDA-capable device is detected"; break;
    case InvalidDevice: base = "invalid device ordinal"; break;
    case InvalidImage: base = "device kernel image is invalid"; break;
    case InvalidContext: base = "invalid device context"; break;
    case InvalidHandle: base = "invalid resource handle"; break;
    case NotFound: base = "named symbol not found"; break;
    case NotReady: base = "device not ready"; break;
    case IllegalAddress: base = "an illegal memory access was encountered"; break;
    case LaunchOutOfResources: base = "too many resources requested for launch"; break;
    case LaunchFailed: base = "unspecified launch failure"; break;
    case NotSupported: base = "operation not supported"; break;
    case StreamCaptureUnsupported: base = "operation not permitted when stream is capturing"; break;
    case StreamCaptureInvalidated: base = "operation failed due to a previous error during capture"; break;
    default: return nullptr;
    }
    std::string detail = Detail();
    text_buffer = detail.empty() ? std::string(base) : std::string(base) + " (emulator: " + detail + ")";
    return text_buffer.c_str();
}
}

EP_EXPORT const char* ep_emu_version(void)
{
    return "EdgePruning CUDA emulator 1";
}

EP_EXPORT int ep_emu_current_device(void)
{
    return emu::CurrentDevice();
}

// Race mode for the launches that follow (0 off, 1 reversed, 2 shuffled by `seed`); also EP_EMU_RACE=reverse|shuffle[:seed].
EP_EXPORT void ep_emu_set_race_mode(int mode, uint64_t seed)
{
    emu::SetRaceMode(mode, seed);
}
