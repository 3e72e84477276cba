// A stand-in for the host API the emulated libcuda.so.1 exports (ep_emu_host.h), so the emulated cuBLAS and
// NCCL can be tested on their own: queued work runs at once (as if every stream were synchronous) or, when a
// test asks, waits in its stream's queue until ep_emu_flush; ranges are checked against the allocations a test
// registers, and ep_emu_fail records its message for the test.
#include <inttypes.h>
#include <map>
#include <mutex>
#include <set>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>

#include "ep_emu_host.h"
#include "host_stub.h"

namespace {
struct Allocation { uint64_t bytes; int device; };
std::mutex mutex;
std::map<uint64_t, Allocation> allocations;  // by start address
std::set<void*> capturing;
std::map<void*, int> flush_count, enqueue_count;
std::string failure;
thread_local int current_device = 0;
bool deferred = false;
struct Work {
    ep_emu_work_fn run;
    std::string name;
    std::vector<max_align_t> state;
};
thread_local const char* running = "";  // the name of the work running on this thread, as the driver reports it

void execute(Work& work) {
    running = work.name.c_str();
    work.run(work.state.data());
    running = "";
}
std::map<void*, std::vector<Work>> queues;
}  // namespace

namespace stub {

void* device_alloc(size_t bytes, int device) {
    size_t rounded = (bytes + 255) / 256 * 256;
    void* pointer = aligned_alloc(256, rounded ? rounded : 256);
    memset(pointer, 0, rounded ? rounded : 256);
    std::lock_guard<std::mutex> lock(mutex);
    allocations[(uint64_t)(uintptr_t)pointer] = Allocation{bytes, device};
    return pointer;
}

void device_free(void* pointer) {
    {
        std::lock_guard<std::mutex> lock(mutex);
        allocations.erase((uint64_t)(uintptr_t)pointer);
    }
    free(pointer);
}

void set_deferred(bool on) {
    std::lock_guard<std::mutex> lock(mutex);
    deferred = on;
}

void set_current_device(int device) { current_device = device; }

void set_capturing(void* stream, bool on) {
    std::lock_guard<std::mutex> lock(mutex);
    if (on) capturing.insert(stream); else capturing.erase(stream);
}

std::string last_failure() {
    std::lock_guard<std::mutex> lock(mutex);
    return failure;
}

void clear_failure() {
    std::lock_guard<std::mutex> lock(mutex);
    failure.clear();
}

int flushes(void* stream) {
    std::lock_guard<std::mutex> lock(mutex);
    return flush_count[stream];
}

int enqueued(void* stream) {
    std::lock_guard<std::mutex> lock(mutex);
    return enqueue_count[stream];
}

}  // namespace stub

extern "C" {

int ep_emu_enqueue(void* stream, const char* name, ep_emu_work_fn run, const void* state, size_t state_bytes) {
    // A copy, as the driver hands the work a copy of the bytes (the caller's may be gone when it runs).
    Work work{run, name, std::vector<max_align_t>((state_bytes + sizeof(max_align_t) - 1) / sizeof(max_align_t) + 1)};
    memcpy(work.state.data(), state, state_bytes);
    {
        std::lock_guard<std::mutex> lock(mutex);
        enqueue_count[stream]++;
        if (deferred) {
            queues[stream].push_back(std::move(work));
            return 0;
        }
    }
    execute(work);
    return 0;
}

int ep_emu_flush(void* stream) {
    std::vector<Work> pending;
    {
        std::lock_guard<std::mutex> lock(mutex);
        flush_count[stream]++;
        pending.swap(queues[stream]);
    }
    for (Work& work : pending) execute(work);
    return 0;
}

int ep_emu_is_capturing(void* stream) {
    std::lock_guard<std::mutex> lock(mutex);
    return capturing.count(stream) ? 1 : 0;
}

int ep_emu_check_range(uint64_t address, uint64_t bytes, char* why, size_t why_size) {
    std::lock_guard<std::mutex> lock(mutex);
    auto after = allocations.upper_bound(address);
    if (after == allocations.begin()) {
        snprintf(why, why_size, "0x%" PRIx64 " is below every allocation", address);
        return 0;
    }
    auto found = std::prev(after);
    uint64_t end = found->first + found->second.bytes;
    if (address >= end) {
        snprintf(why, why_size, "0x%" PRIx64 " is %" PRIu64 " bytes past the allocation at 0x%" PRIx64 " (%" PRIu64 " bytes)",
                 address, address - end, found->first, found->second.bytes);
        return 0;
    }
    if (bytes > end - address) {
        snprintf(why, why_size, "out of bounds by %" PRIu64 " bytes of the allocation at 0x%" PRIx64 " (%" PRIu64 " bytes)",
                 bytes - (end - address), found->first, found->second.bytes);
        return 0;
    }
    return 1;
}

int ep_emu_device_of(uint64_t address) {
    std::lock_guard<std::mutex> lock(mutex);
    auto after = allocations.upper_bound(address);
    if (after == allocations.begin()) return -1;
    auto found = std::prev(after);
    return address < found->first + found->second.bytes ? found->second.device : -1;
}

int ep_emu_current_device(void) { return current_device; }

void ep_emu_fail(const char* message) {
    std::lock_guard<std::mutex> lock(mutex);
    failure = std::string(running) + ": " + message;  // the driver names the failing work first
}

const char* ep_emu_version(void) { return "EdgePruning CUDA emulator host-test stub"; }

}  // extern "C"
