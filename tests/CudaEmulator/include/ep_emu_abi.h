// The calls between an emulated kernel and the emulated driver (libcuda.so.1): the running GPU thread's indices,
// barriers, warp operations and atomics. ep_emu_device.h builds CUDA's device functions on them.
#pragma once

struct ep_emu_dim3 { unsigned int x, y, z; };
struct ep_emu_thread_index { ep_emu_dim3 threadIdx, blockIdx, blockDim, gridDim; };

extern "C" {
const ep_emu_thread_index* ep_emu_thread(void);
void ep_emu_syncthreads(void);
// kind: 0 index (__shfl_sync), 1 up, 2 down, 3 xor; returns the source lane's value.
unsigned long long ep_emu_shfl(int kind, unsigned mask, unsigned long long value, int argument, int width);
// kind: 0 ballot, 1 any, 2 all, 3 syncwarp.
unsigned ep_emu_vote(int kind, unsigned mask, int predicate);
float ep_emu_atomic_add_f32(float* address, float value);
int ep_emu_atomic_add_i32(int* address, int value);
unsigned ep_emu_atomic_add_u32(unsigned* address, unsigned value);
float ep_emu_atomic_max_f32(float* address, float value);
void ep_emu_trap(const char* what);

}
