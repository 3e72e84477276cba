// Runs a kernel's grid block by block on the calling host thread. Every thread of a block is a fiber; the block
// scheduler runs the ready fibers one at a time in the block's order (thread order, or reversed / shuffled in the
// race mode) until each finishes or waits: at __syncthreads until every live thread of the block has arrived, at
// a warp operation (shuffle, vote, __syncwarp) until every lane its mask names has arrived. Then the waiters are
// ready again, in the block's order. Misuse that a GPU leaves undefined (a barrier or warp operation some threads
// never reach, masks that disagree, lanes outside the mask or the block) fails the launch with a message, and so
// does a memory access outside device memory (see CheckAccess, called by the kernels' instrumentation).
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>

#include "emulator.h"
#include "fiber.h"
#include "ep_emu_abi.h"

namespace emu
{
namespace
{
constexpr size_t StackBytes = 256 * 1024;

enum class State { Ready, Blocked, Done };

struct EmuThread
{
    ep_emu_thread_index index{};
    unsigned linear = 0;
    void* sp = nullptr;
    State state = State::Ready;
    bool at_barrier = false;
    unsigned long long result = 0;
};

struct WarpExchange
{
    bool active = false;
    int operation = 0;   // 0 shuffle, 1 vote
    int kind = 0;
    unsigned mask = 0;
    unsigned arrived = 0;
    unsigned long long values[32] = {};
    int arguments[32] = {};
    int widths[32] = {};
};

const char* OperationName(int operation, int kind)
{
    static const char* shuffles[] = {"__shfl_sync", "__shfl_up_sync", "__shfl_down_sync", "__shfl_xor_sync"};
    static const char* votes[] = {"__ballot_sync", "__any_sync", "__all_sync", "__syncwarp"};
    return operation == 0 ? shuffles[kind & 3] : votes[kind & 3];
}

struct BlockRun
{
    const Launch* launch = nullptr;
    void** arguments = nullptr;
    unsigned block_index[3] = {0, 0, 0};
    unsigned thread_count = 0;
    std::vector<EmuThread> threads;
    std::vector<FiberStack> stacks;
    std::vector<WarpExchange> warps;
    std::deque<unsigned> ready;
    std::vector<unsigned> barrier_waiters;
    unsigned live = 0;
    void* scheduler_sp = nullptr;
    EmuThread* current = nullptr;
    bool faulted = false;
    std::string fault;
    int order = 0;           // 0 thread order, 1 reversed, 2 shuffled
    uint64_t random = 0;
    SharedRegion shared;
    uint64_t cache_lo = 0, cache_hi = 0;
    bool float_atomics = false;
};

thread_local BlockRun* tl_run = nullptr;
const ep_emu_thread_index NoThread{};

uint64_t NextRandom(uint64_t& state)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Puts `ids` (thread indices, ascending) into the run's order and makes them ready. In thread order they queue
// behind the threads already ready, so the warps of a block advance together; in the race modes a warp whose
// operation completed runs on at once (`ahead`), so one warp gets far ahead of the others, the interleaving that
// shows a shared-memory write no barrier keeps from the other warps' reads.
void MakeReady(BlockRun& run, std::vector<unsigned>& ids, bool ahead = false)
{
    if (run.order == 1) std::reverse(ids.begin(), ids.end());
    if (run.order == 2)
        for (size_t i = ids.size(); i > 1; i--) std::swap(ids[i - 1], ids[NextRandom(run.random) % i]);
    for (unsigned id : ids) run.threads[id].state = State::Ready;
    if (ahead && run.order != 0)
        run.ready.insert(run.ready.begin(), ids.begin(), ids.end());
    else
        run.ready.insert(run.ready.end(), ids.begin(), ids.end());
}

std::string Where(const BlockRun& run, const EmuThread* thread)
{
    char text[256];
    if (thread)
        std::snprintf(text, sizeof text, "kernel %s, block (%u,%u,%u), thread (%u,%u,%u)", run.launch->function->name.c_str(),
            run.block_index[0], run.block_index[1], run.block_index[2], thread->index.threadIdx.x, thread->index.threadIdx.y,
            thread->index.threadIdx.z);
    else
        std::snprintf(text, sizeof text, "kernel %s, block (%u,%u,%u)", run.launch->function->name.c_str(), run.block_index[0],
            run.block_index[1], run.block_index[2]);
    return text;
}

// Leaves a thread that will never run again (finished, or faulted).
[[noreturn]] void Yield(BlockRun& run, EmuThread* thread)
{
    ep_emu_fiber_switch(&thread->sp, run.scheduler_sp);
    __builtin_unreachable();
}

// Gives control back to the scheduler until the thread is ready again.
void Wait(BlockRun& run, EmuThread* thread)
{
    ep_emu_fiber_switch(&thread->sp, run.scheduler_sp);
}

[[noreturn]] void Fault(BlockRun& run, const std::string& what)
{
    if (!run.faulted)
    {
        run.faulted = true;
        run.fault = Where(run, run.current) + ": " + what;
    }
    Yield(run, run.current);
}

void ThreadMain(void* argument)
{
    BlockRun& run = *tl_run;
    EmuThread* thread = (EmuThread*)argument;
    run.launch->function->info->invoke(run.arguments);
    thread->state = State::Done;
    run.live--;
    unsigned lane = thread->linear & 31;
    WarpExchange& warp = run.warps[thread->linear >> 5];
    if (warp.active && (warp.mask >> lane & 1) && !(warp.arrived >> lane & 1))
        Fault(run, std::string("the thread exited while other lanes of its warp wait for it at ") + OperationName(warp.operation, warp.kind));
    if (!run.barrier_waiters.empty())
    {
        char text[160];
        std::snprintf(text, sizeof text, "the thread exited while %zu other threads of the block wait at __syncthreads (a barrier not every thread reaches)",
            run.barrier_waiters.size());
        Fault(run, text);
    }
    Yield(run, thread);
}

std::string DescribeDeadlock(const BlockRun& run)
{
    char text[256];
    unsigned done = 0;
    for (const auto& t : run.threads) done += t.state == State::Done;
    std::string what;
    std::snprintf(text, sizeof text, "the block cannot go on: %zu threads wait at __syncthreads, %u have exited", run.barrier_waiters.size(), done);
    what = text;
    for (size_t w = 0; w < run.warps.size(); w++)
        if (run.warps[w].active)
        {
            std::snprintf(text, sizeof text, "; warp %zu waits at %s with mask 0x%08x, lanes 0x%08x arrived", w,
                OperationName(run.warps[w].operation, run.warps[w].kind), run.warps[w].mask, run.warps[w].arrived);
            what += text;
        }
    return what;
}

void CompleteExchange(BlockRun& run, unsigned warp_index)
{
    WarpExchange& warp = run.warps[warp_index];
    unsigned ballot = 0;
    if (warp.operation == 1)
        for (unsigned lane = 0; lane < 32; lane++)
            if ((warp.mask >> lane & 1) && warp.values[lane]) ballot |= 1u << lane;
    std::vector<unsigned> lanes;
    for (unsigned lane = 0; lane < 32; lane++)
    {
        if (!(warp.mask >> lane & 1)) continue;
        unsigned long long result = 0;
        if (warp.operation == 0)
        {
            int width = warp.widths[lane];
            int base = (int)lane & ~(width - 1);
            int argument = warp.arguments[lane];
            int source = (int)lane;
            switch (warp.kind)
            {
            case 0: source = base + (argument & (width - 1)); break;
            case 1: source = (int)lane - argument >= base ? (int)lane - argument : (int)lane; break;
            case 2: source = (int)lane + argument < base + width ? (int)lane + argument : (int)lane; break;
            default: source = ((int)lane ^ argument) >= base && ((int)lane ^ argument) < base + width ? (int)lane ^ argument : (int)lane; break;
            }
            if (!(warp.mask >> source & 1))
            {
                char text[160];
                std::snprintf(text, sizeof text, "lane %u reads lane %d in %s, which its mask 0x%08x leaves out (undefined on a GPU)", lane, source,
                    OperationName(warp.operation, warp.kind), warp.mask);
                Fault(run, text);
            }
            result = warp.values[source];
        }
        else
        {
            result = warp.kind == 0 ? ballot : warp.kind == 1 ? (ballot != 0) : warp.kind == 2 ? (ballot == warp.mask) : 0;
        }
        run.threads[warp_index * 32 + lane].result = result;
        lanes.push_back(warp_index * 32 + lane);
    }
    warp.active = false;
    warp.arrived = 0;
    MakeReady(run, lanes, true);
}

unsigned long long Exchange(int operation, int kind, unsigned mask, unsigned long long value, int argument, int width)
{
    BlockRun* run_pointer = tl_run;
    if (!run_pointer || !run_pointer->current) return value;
    BlockRun& run = *run_pointer;
    EmuThread* thread = run.current;
    unsigned lane = thread->linear & 31, warp_index = thread->linear >> 5;
    unsigned lanes_here = std::min(32u, run.thread_count - warp_index * 32);
    unsigned existing = lanes_here == 32 ? 0xffffffffu : (1u << lanes_here) - 1;
    char text[200];
    const char* name = OperationName(operation, kind);
    if (!(mask >> lane & 1))
    {
        std::snprintf(text, sizeof text, "%s with mask 0x%08x, which leaves out the calling lane %u", name, mask, lane);
        Fault(run, text);
    }
    if (mask & ~existing)
    {
        std::snprintf(text, sizeof text, "%s with mask 0x%08x names lanes that do not exist (the warp has %u threads)", name, mask, lanes_here);
        Fault(run, text);
    }
    if (operation == 0 && (width <= 0 || width > 32 || (width & (width - 1))))
    {
        std::snprintf(text, sizeof text, "%s with width %d (must be a power of two up to 32)", name, width);
        Fault(run, text);
    }
    for (unsigned other = 0; other < 32; other++)
        if ((mask >> other & 1) && run.threads[warp_index * 32 + other].state == State::Done)
        {
            std::snprintf(text, sizeof text, "%s with mask 0x%08x waits for lane %u, which has exited", name, mask, other);
            Fault(run, text);
        }
    WarpExchange& warp = run.warps[warp_index];
    if (warp.active && (warp.operation != operation || warp.kind != kind || warp.mask != mask))
    {
        std::snprintf(text, sizeof text, "lane %u calls %s (mask 0x%08x) while lanes 0x%08x of its warp wait at %s (mask 0x%08x): divergent warp operations",
            lane, name, mask, warp.arrived, OperationName(warp.operation, warp.kind), warp.mask);
        Fault(run, text);
    }
    if (!warp.active)
    {
        warp.active = true;
        warp.operation = operation;
        warp.kind = kind;
        warp.mask = mask;
        warp.arrived = 0;
    }
    warp.values[lane] = value;
    warp.arguments[lane] = argument;
    warp.widths[lane] = width;
    warp.arrived |= 1u << lane;
    thread->state = State::Blocked;
    if (warp.arrived == mask) CompleteExchange(run, warp_index);
    Wait(run, thread);
    return thread->result;
}

void FillShared(BlockRun& run)
{
    // Shared memory starts as NaN bytes, so a read before any write shows in the results: the static arrays, and
    // of each dynamic array the bytes the launch asked for.
    if (!run.shared.begin) return;
    std::vector<uint8_t*> arrays = run.shared.dynamic_arrays;
    std::sort(arrays.begin(), arrays.end());
    uint8_t* at = run.shared.begin;
    uint8_t* end = run.shared.begin + run.shared.size;
    for (uint8_t* array : arrays)
    {
        if (array > at) std::memset(at, 0xff, (size_t)(array - at));
        std::memset(array, 0xff, std::min<size_t>(run.launch->dynamic_shared, (size_t)(end - array)));
        at = std::max(at, std::min(end, array + MaxDynamicSharedOptIn));
    }
    if (end > at) std::memset(at, 0xff, (size_t)(end - at));
}

int RunBlock(BlockRun& run)
{
    const Launch& launch = *run.launch;
    unsigned bx = launch.block[0], by = launch.block[1];
    run.thread_count = bx * by * launch.block[2];
    run.threads.assign(run.thread_count, EmuThread{});
    run.warps.assign((run.thread_count + 31) / 32, WarpExchange{});
    while (run.stacks.size() < run.thread_count) run.stacks.push_back(MapStack(StackBytes));
    run.ready.clear();
    run.barrier_waiters.clear();
    run.live = run.thread_count;
    run.faulted = false;
    FillShared(run);
    std::vector<unsigned> all(run.thread_count);
    for (unsigned i = 0; i < run.thread_count; i++)
    {
        EmuThread& t = run.threads[i];
        t.linear = i;
        t.index.threadIdx = {i % bx, (i / bx) % by, i / (bx * by)};
        t.index.blockIdx = {run.block_index[0], run.block_index[1], run.block_index[2]};
        t.index.blockDim = {launch.block[0], launch.block[1], launch.block[2]};
        t.index.gridDim = {launch.grid[0], launch.grid[1], launch.grid[2]};
        t.sp = PrepareStack(run.stacks[i], ThreadMain, &t);
        all[i] = i;
    }
    MakeReady(run, all);
    while (!run.ready.empty() && !run.faulted)
    {
        unsigned id = run.ready.front();
        run.ready.pop_front();
        EmuThread& t = run.threads[id];
        if (t.state != State::Ready) continue;
        run.current = &t;
        ep_emu_fiber_switch(&run.scheduler_sp, t.sp);
        run.current = nullptr;
    }
    if (run.faulted)
    {
        SetDetail(run.fault);
        return run.fault.find("memory") != std::string::npos || run.fault.find("allocation") != std::string::npos ? IllegalAddress : LaunchFailed;
    }
    if (run.live > 0)
    {
        SetDetail(Where(run, nullptr) + ": " + DescribeDeadlock(run));
        return LaunchFailed;
    }
    return Success;
}

struct Snapshot
{
    std::vector<Allocation> allocations;
    std::vector<std::vector<uint8_t>> bytes;
};

Snapshot Take(const std::vector<Allocation>& allocations)
{
    Snapshot s;
    s.allocations = allocations;
    for (const auto& a : allocations) s.bytes.emplace_back((uint8_t*)(uintptr_t)a.base, (uint8_t*)(uintptr_t)a.base + a.size);
    return s;
}

void Restore(const Snapshot& s)
{
    for (size_t i = 0; i < s.allocations.size(); i++) std::memcpy((void*)(uintptr_t)s.allocations[i].base, s.bytes[i].data(), s.bytes[i].size());
}

// "" when the two runs wrote the same bytes (within f32 rounding where float atomics reordered sums).
std::string Compare(const Snapshot& first, const Snapshot& second, bool tolerant)
{
    for (size_t i = 0; i < first.allocations.size(); i++)
    {
        const auto& a = first.bytes[i];
        const auto& b = second.bytes[i];
        if (std::memcmp(a.data(), b.data(), a.size()) == 0) continue;
        for (size_t offset = 0; offset + 4 <= a.size(); offset += 4)
        {
            float x, y;
            std::memcpy(&x, a.data() + offset, 4);
            std::memcpy(&y, b.data() + offset, 4);
            if (std::memcmp(&x, &y, 4) == 0) continue;
            if (tolerant && std::fabs(x - y) <= 1e-5f * std::max(std::fabs(x), std::fabs(y)) + 1e-30f) continue;
            char text[320];
            std::snprintf(text, sizeof text,
                "allocation #%" PRIu64 " (%" PRIu64 " bytes) differs at byte %zu: 0x%08x (%g) in thread order, 0x%08x (%g) in the other order",
                first.allocations[i].serial, first.allocations[i].size, offset, __builtin_bit_cast(unsigned, x), x, __builtin_bit_cast(unsigned, y), y);
            return text;
        }
    }
    return "";
}

int RunGrid(const Launch& launch, int order, uint64_t seed, bool* float_atomics)
{
    BlockRun* run = tl_run;
    if (!run) tl_run = run = new BlockRun();   // kept for the host thread's lifetime: its fiber stacks are reused
    run->launch = &launch;
    std::vector<void*> pointers(launch.offsets.size());
    for (size_t i = 0; i < launch.offsets.size(); i++) pointers[i] = (void*)(launch.arguments.data() + launch.offsets[i]);
    run->arguments = pointers.data();
    run->order = order;
    run->random = seed;
    run->shared = SharedOf(launch.function->module);
    run->cache_lo = run->cache_hi = 0;
    run->float_atomics = false;
    int result = Success;
    for (unsigned z = 0; z < launch.grid[2] && result == Success; z++)
        for (unsigned y = 0; y < launch.grid[1] && result == Success; y++)
            for (unsigned x = 0; x < launch.grid[0] && result == Success; x++)
            {
                run->block_index[0] = x;
                run->block_index[1] = y;
                run->block_index[2] = z;
                result = RunBlock(*run);
            }
    *float_atomics = run->float_atomics;
    run->launch = nullptr;
    return result;
}
}

int RunLaunch(const Launch& launch)
{
    bool atomics = false;
    if (RaceMode() == 0) return RunGrid(launch, 0, 0, &atomics);
    // Every 8-byte argument that points into device memory names an allocation the kernel may write.
    std::vector<uint64_t> candidates;
    for (size_t i = 0; i < launch.offsets.size(); i++)
        if (launch.function->info->parameter_sizes[i] == 8)
        {
            uint64_t value;
            std::memcpy(&value, launch.arguments.data() + launch.offsets[i], 8);
            candidates.push_back(value);
        }
    auto allocations = AllocationsHolding(candidates);
    Snapshot before = Take(allocations);
    int result = RunGrid(launch, 0, 0, &atomics);
    if (result != Success) return result;
    Snapshot first = Take(allocations);
    Restore(before);
    bool atomics_again = false;
    static uint64_t launches = 0;
    result = RunGrid(launch, RaceMode(), RaceSeed() ^ (++launches * 0x9e3779b97f4a7c15ull), &atomics_again);
    if (result != Success) return result;
    Snapshot second = Take(allocations);
    std::string difference = Compare(first, second, atomics || atomics_again);
    if (difference.empty()) return Success;
    SetDetail("kernel " + launch.function->name + ": a race between the threads of a block: running them in " +
        (RaceMode() == 1 ? "reversed" : "shuffled") + " order between barriers gives other results (" + difference +
        "); a __syncthreads or __syncwarp is missing, or threads write the same place");
    return LaunchFailed;
}

// Whether the kernel now running may touch [address, address + bytes); a fault otherwise (never returns then).
void CheckAccess(uint64_t address, uint64_t bytes, bool write)
{
    BlockRun* run_pointer = tl_run;
    if (!run_pointer || !run_pointer->current) return;
    BlockRun& run = *run_pointer;
    if (address >= run.cache_lo && address + bytes <= run.cache_hi) return;
    const EmuThread* thread = run.current;
    const FiberStack& stack = run.stacks[thread->linear];
    if (address >= (uint64_t)(uintptr_t)stack.base && address + bytes <= (uint64_t)(uintptr_t)(stack.base + stack.size)) return;
    // The builtin index variables live in the scheduler's thread records.
    uint64_t records = (uint64_t)(uintptr_t)run.threads.data();
    if (address >= records && address + bytes <= records + run.threads.size() * sizeof(EmuThread)) return;
    char text[400];
    const char* verb = write ? "write" : "read";
    uint64_t shared_begin = (uint64_t)(uintptr_t)run.shared.begin;
    if (address >= shared_begin && address < shared_begin + run.shared.size)
    {
        for (uint8_t* array : run.shared.dynamic_arrays)
        {
            uint64_t start = (uint64_t)(uintptr_t)array;
            if (address >= start && address < start + MaxDynamicSharedOptIn)
            {
                if (address + bytes <= start + run.launch->dynamic_shared) return;
                std::snprintf(text, sizeof text, "%s of %" PRIu64 " bytes at offset %" PRIu64 " of dynamic shared memory, beyond the %u bytes the launch asked for",
                    verb, bytes, address - start, run.launch->dynamic_shared);
                Fault(run, text);
            }
        }
        return;
    }
    Allocation found;
    if (Find(address, &found))
    {
        if (!found.freed && !found.released && address >= found.base && address + bytes <= found.base + found.size)
        {
            run.cache_lo = found.base;
            run.cache_hi = found.base + found.size;
            return;
        }
        if (found.freed || found.released)
            std::snprintf(text, sizeof text, "%s of %" PRIu64 " bytes at 0x%" PRIx64 ", inside device allocation #%" PRIu64 ", which %s: illegal memory access",
                verb, bytes, address, found.serial, found.freed ? "was freed" : "its memory pool has taken back");
        else if (address < found.base)
            std::snprintf(text, sizeof text, "%s of %" PRIu64 " bytes at 0x%" PRIx64 ", %" PRIu64 " bytes before the start of device allocation #%" PRIu64 " (%" PRIu64 " bytes): illegal memory access",
                verb, bytes, address, found.base - address, found.serial, found.size);
        else
            std::snprintf(text, sizeof text, "%s of %" PRIu64 " bytes at 0x%" PRIx64 ", %" PRIu64 " bytes past the end of device allocation #%" PRIu64 " (%" PRIu64 " bytes in use): illegal memory access",
                verb, bytes, address, address + bytes - (found.base + found.size), found.serial, found.size);
        Fault(run, text);
    }
    if (InModuleImage(run.launch->function->module, address, bytes)) return;
    std::snprintf(text, sizeof text, "%s of %" PRIu64 " bytes at 0x%" PRIx64 ", which is not device memory: illegal memory access", verb, bytes, address);
    Fault(run, text);
}

void NoteFloatAtomic()
{
    if (tl_run) tl_run->float_atomics = true;
}

void Trap(const char* what)
{
    if (tl_run && tl_run->current) Fault(*tl_run, what);
}
}

EP_EXPORT const ep_emu_thread_index* ep_emu_thread(void)
{
    emu::BlockRun* run = emu::tl_run;
    return run && run->current ? &run->current->index : &emu::NoThread;
}

EP_EXPORT void ep_emu_syncthreads(void)
{
    using namespace emu;
    BlockRun* run_pointer = tl_run;
    if (!run_pointer || !run_pointer->current) return;
    BlockRun& run = *run_pointer;
    EmuThread* thread = run.current;
    thread->state = State::Blocked;
    run.barrier_waiters.push_back(thread->linear);
    if (run.barrier_waiters.size() == run.live)
    {
        std::vector<unsigned> waiters = run.barrier_waiters;
        std::sort(waiters.begin(), waiters.end());
        run.barrier_waiters.clear();
        MakeReady(run, waiters);
    }
    Wait(run, thread);
}

EP_EXPORT unsigned long long ep_emu_shfl(int kind, unsigned mask, unsigned long long value, int argument, int width)
{
    return emu::Exchange(0, kind, mask, value, argument, width);
}

EP_EXPORT unsigned ep_emu_vote(int kind, unsigned mask, int predicate)
{
    return (unsigned)emu::Exchange(1, kind, mask, predicate != 0, 0, 32);
}

EP_EXPORT void ep_emu_trap(const char* what)
{
    emu::Trap(what);
}

namespace
{
// A read-modify-write of a float as a compare-and-swap loop on its bits.
template <typename F>
float AtomicUpdate(float* address, F update)
{
    unsigned* bits = (unsigned*)address;
    unsigned expected = __atomic_load_n(bits, __ATOMIC_RELAXED);
    for (;;)
    {
        float old, updated;
        std::memcpy(&old, &expected, 4);
        updated = update(old);
        unsigned desired;
        std::memcpy(&desired, &updated, 4);
        if (__atomic_compare_exchange_n(bits, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) return old;
    }
}
}

EP_EXPORT float ep_emu_atomic_add_f32(float* address, float value)
{
    emu::CheckAccess((uint64_t)(uintptr_t)address, 4, true);
    emu::NoteFloatAtomic();
    return AtomicUpdate(address, [value](float old) { return old + value; });
}

EP_EXPORT float ep_emu_atomic_max_f32(float* address, float value)
{
    emu::CheckAccess((uint64_t)(uintptr_t)address, 4, true);
    return AtomicUpdate(address, [value](float old) { return old > value ? old : value; });
}

EP_EXPORT int ep_emu_atomic_add_i32(int* address, int value)
{
    emu::CheckAccess((uint64_t)(uintptr_t)address, 4, true);
    return __atomic_fetch_add(address, value, __ATOMIC_SEQ_CST);
}

EP_EXPORT unsigned ep_emu_atomic_add_u32(unsigned* address, unsigned value)
{
    emu::CheckAccess((uint64_t)(uintptr_t)address, 4, true);
    return __atomic_fetch_add(address, value, __ATOMIC_SEQ_CST);
}
