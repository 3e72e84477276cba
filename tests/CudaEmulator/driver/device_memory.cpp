// The tracking allocator behind emulated device memory. Each device owns a large reservation of address space;
// every allocation takes fresh pages from it (never reused), with an unmapped guard page after it, and a free
// unmaps its pages. So an access past an allocation's end, before its start or after its free is recognised by
// address, and the allocation is named in the message. Capacity is the device's pretended memory size, so a
// small emulated device runs out of memory the way a real one does. Pinned host memory is tracked too, since
// copies from and to it are asynchronous.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <shared_mutex>
#include <sys/mman.h>
#include <unistd.h>

#include "emulator.h"

namespace emu
{
namespace
{
constexpr uint64_t ReservationBytes = 1ull << 40;

struct Reservation
{
    uint64_t begin = 0, next = 0, end = 0;
};

std::shared_mutex gate;
std::map<uint64_t, Allocation> allocations;   // by base, freed ones kept
std::map<int, Reservation> reservations;
std::set<uintptr_t> pinned;
std::map<uintptr_t, size_t> pinned_sizes;
uint64_t serials = 0;

uint64_t PageSize()
{
    static uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    return page;
}

Reservation& ReservationOf(int device)
{
    auto it = reservations.find(device);
    if (it != reservations.end()) return it->second;
    void* memory = mmap(nullptr, ReservationBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED)
    {
        std::perror("cuda emulator: reserving device address space");
        std::abort();
    }
    Reservation r;
    r.begin = r.next = (uint64_t)(uintptr_t)memory;
    r.end = r.begin + ReservationBytes;
    return reservations[device] = r;
}

// The allocation holding `address`, else the nearest one within a page of it; nullptr when none.
const Allocation* Nearest(uint64_t address)
{
    auto after = allocations.upper_bound(address);
    const Allocation* candidate = nullptr;
    if (after != allocations.begin())
    {
        const Allocation& before = std::prev(after)->second;
        if (address < before.base + before.mapped + PageSize()) candidate = &before;
    }
    if (!candidate && after != allocations.end() && after->second.base - address <= PageSize()) candidate = &after->second;
    return candidate;
}
}

int Allocate(int device, uint64_t bytes, uint64_t* address)
{
    Device* d = DeviceAt(device);
    if (!d) return InvalidDevice;
    if (bytes == 0) return InvalidValue;
    std::unique_lock lock(gate);
    uint64_t mapped = (bytes + PageSize() - 1) / PageSize() * PageSize();
    if (d->live + mapped > d->capacity) return OutOfMemory;
    Reservation& r = ReservationOf(device);
    if (r.next + mapped + PageSize() > r.end) return OutOfMemory;
    uint64_t base = r.next;
    if (mprotect((void*)(uintptr_t)base, mapped, PROT_READ | PROT_WRITE) != 0) return OutOfMemory;
    r.next += mapped + PageSize();
    Allocation a;
    a.base = base;
    a.size = bytes;
    a.mapped = mapped;
    a.device = device;
    a.serial = ++serials;
    allocations[base] = a;
    d->live += mapped;
    *address = base;
    return Success;
}

int Free(uint64_t address)
{
    std::unique_lock lock(gate);
    auto it = allocations.find(address);
    if (it == allocations.end() || it->second.freed) return InvalidValue;
    Allocation& a = it->second;
    a.freed = true;
    // Give the pages back and keep the range unmapped-but-reserved, so that a late access is recognised.
    mmap((void*)(uintptr_t)a.base, a.mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    if (Device* d = DeviceAt(a.device)) d->live -= a.mapped;
    return Success;
}

bool Annotate(uint64_t base, uint64_t bytes_in_use)
{
    std::unique_lock lock(gate);
    auto it = allocations.find(base);
    if (it == allocations.end() || it->second.freed || bytes_in_use > it->second.mapped) return false;
    it->second.size = bytes_in_use;
    it->second.released = bytes_in_use == 0;
    return true;
}

bool Find(uint64_t address, Allocation* found)
{
    std::shared_lock lock(gate);
    const Allocation* a = Nearest(address);
    if (!a) return false;
    *found = *a;
    return true;
}

std::string CheckRange(uint64_t address, uint64_t bytes)
{
    char text[300];
    std::shared_lock lock(gate);
    const Allocation* a = Nearest(address);
    if (!a)
    {
        std::snprintf(text, sizeof text, "0x%" PRIx64 " (%" PRIu64 " bytes) is not device memory", address, bytes);
        return text;
    }
    if (a->freed || a->released)
    {
        std::snprintf(text, sizeof text, "0x%" PRIx64 " lies in device allocation #%" PRIu64 ", which %s", address, a->serial,
            a->freed ? "was freed" : "its memory pool has taken back");
        return text;
    }
    if (address < a->base)
    {
        std::snprintf(text, sizeof text, "0x%" PRIx64 " starts %" PRIu64 " bytes before device allocation #%" PRIu64, address, a->base - address, a->serial);
        return text;
    }
    if (address + bytes > a->base + a->size)
    {
        std::snprintf(text, sizeof text, "%" PRIu64 " bytes at offset %" PRIu64 " run %" PRIu64 " bytes past the end of device allocation #%" PRIu64 " (%" PRIu64 " bytes)",
            bytes, address - a->base, address + bytes - (a->base + a->size), a->serial, a->size);
        return text;
    }
    return "";
}

std::string CheckMapped(uint64_t address, uint64_t bytes)
{
    std::shared_lock lock(gate);
    const Allocation* a = Nearest(address);
    if (a && !a->freed && address >= a->base && address + bytes <= a->base + a->mapped) return "";
    char text[120];
    std::snprintf(text, sizeof text, "0x%" PRIx64 " (%" PRIu64 " bytes) is not in a live device allocation", address, bytes);
    return text;
}

std::vector<Allocation> AllocationsHolding(const std::vector<uint64_t>& addresses)
{
    std::shared_lock lock(gate);
    std::map<uint64_t, Allocation> unique;
    for (uint64_t address : addresses)
    {
        const Allocation* a = Nearest(address);
        if (a && !a->freed && !a->released && address >= a->base && address < a->base + a->size) unique[a->base] = *a;
    }
    std::vector<Allocation> result;
    for (auto& [base, a] : unique) result.push_back(a);
    return result;
}

void* AllocatePinned(size_t bytes)
{
    void* memory = nullptr;
    if (posix_memalign(&memory, 4096, bytes ? bytes : 1) != 0) return nullptr;
    std::unique_lock lock(gate);
    pinned.insert((uintptr_t)memory);
    pinned_sizes[(uintptr_t)memory] = bytes;
    return memory;
}

bool FreePinned(void* host)
{
    std::unique_lock lock(gate);
    if (!pinned.erase((uintptr_t)host)) return false;
    pinned_sizes.erase((uintptr_t)host);
    std::free(host);
    return true;
}

bool IsPinned(const void* host)
{
    std::shared_lock lock(gate);
    auto it = pinned_sizes.upper_bound((uintptr_t)host);
    if (it == pinned_sizes.begin()) return false;
    --it;
    return (uintptr_t)host < it->first + it->second;
}
}

namespace emu
{
bool InQueuedWork();
}

EP_EXPORT int ep_emu_check_range(uint64_t address, uint64_t bytes, char* why, size_t why_size)
{
    // Inside queued work the pool's view of its blocks holds (it changes in stream order); at call time only whether
    // the pages are live can be known.
    std::string reason = emu::InQueuedWork() ? emu::CheckRange(address, bytes) : emu::CheckMapped(address, bytes);
    if (reason.empty()) return 1;
    if (why && why_size) std::snprintf(why, why_size, "%s", reason.c_str());
    return 0;
}

EP_EXPORT int ep_emu_device_of(uint64_t address)
{
    emu::Allocation a;
    if (!emu::Find(address, &a) || a.freed || address < a.base || address >= a.base + a.size) return -1;
    return a.device;
}

namespace emu
{
int FreeDeviceAllocations(int device)
{
    std::vector<uint64_t> live;
    {
        std::shared_lock lock(gate);
        for (auto& [base, a] : allocations)
            if (!a.freed && a.device == device) live.push_back(base);
    }
    for (uint64_t base : live) Free(base);
    return Success;
}
}
