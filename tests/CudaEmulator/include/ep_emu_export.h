// Appended by the emulated NVRTC after a kernel file: EP_EMU_EXPORT(name) publishes one __global__ entry point
// as `ep_emu_kernel_<name>`, a descriptor with the byte size of each parameter (the driver copies a launch's
// arguments by them, as cuLaunchKernel does) and a thunk that calls the kernel with arguments unpacked from the
// launch's argument pointers. EP_EMU_DYNAMIC_SHARED(type, name) defines one `extern __shared__` array at the
// largest size a block may opt in to; the driver checks every access against the size a launch asked for.
#pragma once

#define EP_EMU_MAX_DYNAMIC_SHARED 232448

struct ep_emu_kernel_info
{
    const char* name;
    void (*invoke)(void** arguments);
    int parameter_count;
    const unsigned* parameter_sizes;
};

template <unsigned... I> struct ep_emu_sequence {};
template <unsigned N, unsigned... I> struct ep_emu_make_sequence : ep_emu_make_sequence<N - 1, N - 1, I...> {};
template <unsigned... I> struct ep_emu_make_sequence<0, I...> { typedef ep_emu_sequence<I...> type; };

template <typename... A> struct ep_emu_layout { static const unsigned sizes[sizeof...(A) + 1]; };
template <typename... A> const unsigned ep_emu_layout<A...>::sizes[sizeof...(A) + 1] = {(unsigned)sizeof(A)..., 0u};

template <typename... A, unsigned... I>
__attribute__((no_sanitize("address"))) inline void ep_emu_unpack(void (*kernel)(A...), void** arguments, ep_emu_sequence<I...>)
{
    kernel(*static_cast<A*>(arguments[I])...);
}
template <typename... A>
__attribute__((no_sanitize("address"))) inline void ep_emu_call(void (*kernel)(A...), void** arguments)
{
    ep_emu_unpack(kernel, arguments, typename ep_emu_make_sequence<sizeof...(A)>::type());
}
template <typename... A> constexpr int ep_emu_arity(void (*)(A...)) { return (int)sizeof...(A); }
template <typename... A> constexpr const unsigned* ep_emu_sizes(void (*)(A...)) { return ep_emu_layout<A...>::sizes; }

#define EP_EMU_EXPORT(NAME) \
    static void ep_emu_invoke_##NAME(void** arguments) { ep_emu_call(&NAME, arguments); } \
    extern "C" __attribute__((visibility("default"))) const ep_emu_kernel_info ep_emu_kernel_##NAME = { \
        #NAME, ep_emu_invoke_##NAME, ep_emu_arity(&NAME), ep_emu_sizes(&NAME)};

#define EP_EMU_DYNAMIC_SHARED(TYPE, NAME) \
    alignas(16) thread_local TYPE NAME[EP_EMU_MAX_DYNAMIC_SHARED / sizeof(TYPE)];

// Forces the module's thread-local block (its shared memory) into existence on the calling host thread.
extern "C" __attribute__((visibility("default"))) void* ep_emu_module_tls_anchor(void)
{
    static thread_local char anchor;
    return &anchor;
}
