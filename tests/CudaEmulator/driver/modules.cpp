// Modules: the emulated NVRTC's image is a shared object behind a small header ("EPEMUSO1", its length), which
// cuModuleLoadData loads from a temporary file. Its kernels are found by their descriptors
// (ep_emu_kernel_<name>); its thread-local block is the shared memory of the block a host thread runs.
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emulator.h"

namespace emu
{
struct Module
{
    void* handle = nullptr;
    uintptr_t load_address = 0;
    size_t tls_size = 0;
    std::vector<std::pair<uint64_t, uint64_t>> segments;   // [begin, end) of its loaded segments
    void* (*tls_anchor)() = nullptr;
    int (*dynamic_shared)(void**, int) = nullptr;
    size_t static_shared = 0;   // its __shared__ arrays' bytes, besides the dynamic ones
    std::mutex gate;
    std::vector<Function*> functions;
};

namespace
{
struct PhdrQuery
{
    uintptr_t load_address;
    Module* module;
};

int ReadSegments(dl_phdr_info* info, size_t, void* data)
{
    auto* query = (PhdrQuery*)data;
    if (info->dlpi_addr != query->load_address) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
    {
        const auto& ph = info->dlpi_phdr[i];
        if (ph.p_type == PT_TLS) query->module->tls_size = ph.p_memsz;
        if (ph.p_type == PT_LOAD)
            query->module->segments.push_back({info->dlpi_addr + ph.p_vaddr, info->dlpi_addr + ph.p_vaddr + ph.p_memsz});
    }
    return 1;
}
}

int LoadModule(const void* image, Module** loaded)
{
    if (!image || std::memcmp(image, "EPEMUSO1", 8) != 0)
    {
        SetDetail("the image is not one the emulated NVRTC made (a CUBIN from a real NVRTC cannot run on the emulator)");
        return InvalidImage;
    }
    uint64_t length;
    std::memcpy(&length, (const char*)image + 8, 8);
    // A file of its own name: the dynamic loader takes a second object of an already loaded name for the first.
    char path[] = "/tmp/ep-emu-module-XXXXXX.so";
    int fd = mkstemps(path, 3);
    if (fd < 0) return InvalidImage;
    const char* bytes = (const char*)image + 16;
    for (uint64_t written = 0; written < length;)
    {
        ssize_t n = write(fd, bytes + written, length - written);
        if (n <= 0)
        {
            close(fd);
            unlink(path);
            return InvalidImage;
        }
        written += (uint64_t)n;
    }
    close(fd);
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    unlink(path);
    if (!handle)
    {
        SetDetail(std::string("loading the kernel image: ") + dlerror());
        return InvalidImage;
    }
    auto* module = new Module();
    module->handle = handle;
    link_map* map = nullptr;
    dlinfo(handle, RTLD_DI_LINKMAP, &map);
    module->load_address = map ? map->l_addr : 0;
    PhdrQuery query{module->load_address, module};
    dl_iterate_phdr(ReadSegments, &query);
    module->tls_anchor = (void* (*)())dlsym(handle, "ep_emu_module_tls_anchor");
    module->dynamic_shared = (int (*)(void**, int))dlsym(handle, "ep_emu_module_dynamic_shared");
    // The thread-local block holds the static shared arrays, the dynamic arrays at their largest and an anchor byte.
    SharedRegion region = SharedOf(module);
    size_t dynamic = region.dynamic_arrays.size() * (size_t)MaxDynamicSharedOptIn + 1;
    module->static_shared = region.size > dynamic ? region.size - dynamic : 0;
    *loaded = module;
    return Success;
}

int UnloadModule(Module* module)
{
    if (!module) return InvalidHandle;
    for (Function* f : module->functions) delete f;
    dlclose(module->handle);
    delete module;
    return Success;
}

int GetFunction(Module* module, const char* name, Function** function)
{
    if (!module || !name) return InvalidValue;
    std::string symbol = std::string("ep_emu_kernel_") + name;
    auto* info = (const KernelInfo*)dlsym(module->handle, symbol.c_str());
    if (!info) return NotFound;
    std::lock_guard lock(module->gate);
    for (Function* f : module->functions)
        if (f->name == name)
        {
            *function = f;
            return Success;
        }
    auto* f = new Function();
    f->module = module;
    f->info = info;
    f->name = name;
    module->functions.push_back(f);
    *function = f;
    return Success;
}

SharedRegion SharedOf(Module* module)
{
    SharedRegion region;
    if (!module || !module->tls_anchor || module->tls_size == 0) return region;
    module->tls_anchor();
    void* block = nullptr;
    if (dlinfo(module->handle, RTLD_DI_TLS_DATA, &block) != 0 || !block) return region;
    region.begin = (uint8_t*)block;
    region.size = module->tls_size;
    if (module->dynamic_shared)
    {
        void* arrays[16];
        int count = module->dynamic_shared(arrays, 16);
        for (int i = 0; i < count; i++) region.dynamic_arrays.push_back((uint8_t*)arrays[i]);
    }
    return region;
}

size_t StaticSharedBytes(Module* module)
{
    return module ? module->static_shared : 0;
}

bool InModuleImage(Module* module, uint64_t address, uint64_t bytes)
{
    if (!module) return false;
    for (const auto& [begin, end] : module->segments)
        if (address >= begin && address + bytes <= end) return true;
    return false;
}
}
