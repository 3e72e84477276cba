// The entry points AddressSanitizer's instrumentation calls in every emulated kernel (the emulated NVRTC builds
// kernels with -fsanitize=address and an instrumentation call for every load and store). Instead of ASan's
// shadow memory they ask the block scheduler whether the running GPU thread may touch the bytes: live device
// allocations, its own stack, its block's shared memory (dynamic shared memory up to the launch's size). Anything
// else fails the launch with CUDA_ERROR_ILLEGAL_ADDRESS naming the kernel, block, thread and allocation.
#include <cstring>

#include "emulator.h"

using emu::CheckAccess;

#define EP_ACCESS(SIZE) \
    EP_EXPORT void __asan_load##SIZE(uintptr_t address) { CheckAccess(address, SIZE, false); } \
    EP_EXPORT void __asan_store##SIZE(uintptr_t address) { CheckAccess(address, SIZE, true); } \
    EP_EXPORT void __asan_load##SIZE##_noabort(uintptr_t address) { CheckAccess(address, SIZE, false); } \
    EP_EXPORT void __asan_store##SIZE##_noabort(uintptr_t address) { CheckAccess(address, SIZE, true); }

EP_ACCESS(1)
EP_ACCESS(2)
EP_ACCESS(4)
EP_ACCESS(8)
EP_ACCESS(16)

EP_EXPORT void __asan_loadN(uintptr_t address, size_t bytes) { CheckAccess(address, bytes, false); }
EP_EXPORT void __asan_storeN(uintptr_t address, size_t bytes) { CheckAccess(address, bytes, true); }
EP_EXPORT void __asan_loadN_noabort(uintptr_t address, size_t bytes) { CheckAccess(address, bytes, false); }
EP_EXPORT void __asan_storeN_noabort(uintptr_t address, size_t bytes) { CheckAccess(address, bytes, true); }

EP_EXPORT void* __asan_memcpy(void* destination, const void* source, size_t bytes)
{
    CheckAccess((uintptr_t)source, bytes, false);
    CheckAccess((uintptr_t)destination, bytes, true);
    return std::memcpy(destination, source, bytes);
}

EP_EXPORT void* __asan_memmove(void* destination, const void* source, size_t bytes)
{
    CheckAccess((uintptr_t)source, bytes, false);
    CheckAccess((uintptr_t)destination, bytes, true);
    return std::memmove(destination, source, bytes);
}

EP_EXPORT void* __asan_memset(void* destination, int value, size_t bytes)
{
    CheckAccess((uintptr_t)destination, bytes, true);
    return std::memset(destination, value, bytes);
}

// Module constructors and bookkeeping the instrumentation emits; the emulator needs none of it.
EP_EXPORT void __asan_init(void) {}
EP_EXPORT void __asan_version_mismatch_check_v8(void) {}
EP_EXPORT void __asan_handle_no_return(void) {}
EP_EXPORT void __asan_register_globals(void*, size_t) {}
EP_EXPORT void __asan_unregister_globals(void*, size_t) {}
EP_EXPORT void __asan_register_elf_globals(void*, void*, void*) {}
EP_EXPORT void __asan_unregister_elf_globals(void*, void*, void*) {}
EP_EXPORT void __asan_before_dynamic_init(const char*) {}
EP_EXPORT void __asan_after_dynamic_init(void) {}
