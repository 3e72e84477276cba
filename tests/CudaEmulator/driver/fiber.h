// Fibers: one per emulated GPU thread of a block, each on a stack of its own, switched cooperatively by the block
// scheduler (block_runner.cpp). Stacks are mapped once per host thread and reused block after block.
#pragma once
#include <cstddef>
#include <cstdint>

namespace emu
{
struct FiberStack
{
    uint8_t* base = nullptr;   // lowest usable address (a guard page lies below)
    size_t size = 0;
};

// Maps a stack of `bytes` with a guard page below it; aborts the process when the address space is exhausted.
FiberStack MapStack(size_t bytes);
void UnmapStack(FiberStack stack);

// Lays out `stack` so that switching to the returned stack pointer calls entry(argument); entry must never return.
void* PrepareStack(FiberStack stack, void (*entry)(void*), void* argument);
}

extern "C" void ep_emu_fiber_switch(void** save, void* load);
