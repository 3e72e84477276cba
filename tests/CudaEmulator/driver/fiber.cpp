// Fiber stacks and the initial frame that the first switch to a fiber "returns" through (see fiber_switch_x86_64.S).
#include "fiber.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

extern "C" void ep_emu_fiber_start();

namespace emu
{
FiberStack MapStack(size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t total = bytes + page;
    void* memory = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED)
    {
        std::perror("cuda emulator: mapping a fiber stack");
        std::abort();
    }
    mprotect(memory, page, PROT_NONE);
    return FiberStack{(uint8_t*)memory + page, bytes};
}

void UnmapStack(FiberStack stack)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    munmap(stack.base - page, stack.size + page);
}

void* PrepareStack(FiberStack stack, void (*entry)(void*), void* argument)
{
    // After the switch pops the control words and six registers, `ret` jumps to ep_emu_fiber_start with the
    // stack 16-byte aligned, as a call instruction would leave it before pushing its return address.
    uintptr_t top = ((uintptr_t)(stack.base + stack.size) & ~(uintptr_t)15) - 16;
    uint64_t* frame = (uint64_t*)top;
    *--frame = (uint64_t)(uintptr_t)&ep_emu_fiber_start;   // return address
    *--frame = 0;                                           // rbp
    *--frame = 0;                                           // rbx
    *--frame = (uint64_t)(uintptr_t)argument;               // r12
    *--frame = (uint64_t)(uintptr_t)entry;                  // r13
    *--frame = 0;                                           // r14
    *--frame = 0;                                           // r15
    uint32_t control[2];
    __asm__ volatile("stmxcsr %0" : "=m"(control[0]));
    __asm__ volatile("fnstcw %0" : "=m"(control[1]));
    uint64_t words;
    std::memcpy(&words, control, sizeof(words));
    *--frame = words;
    return frame;
}
}
