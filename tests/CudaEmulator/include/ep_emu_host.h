// What the emulated libcuda.so.1 offers the other emulated libraries (NVRTC, cuBLAS, NCCL): work queued in
// stream order (or captured into a graph while the stream captures), checks of device address ranges against
// the tracking allocator, and failures that surface at the next synchronizing call with their message.
// Device addresses are host addresses: emulated device memory is host memory the driver tracks.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Runs when the stream reaches it; `state` is a copy of the bytes handed to ep_emu_enqueue (freed afterwards).
typedef void (*ep_emu_work_fn)(void* state);

// Queues `run` on `stream` (0: the legacy default stream) in stream order; while the stream captures, the work
// becomes a node of the graph and runs at every launch of it. `name` appears in error messages. Returns a
// CUresult (0 on success).
int ep_emu_enqueue(void* stream, const char* name, ep_emu_work_fn run, const void* state, size_t state_bytes);

// Runs every operation queued on `stream` so far (what cuStreamSynchronize does, without reporting errors).
int ep_emu_flush(void* stream);

// Whether `stream` is capturing a graph now.
int ep_emu_is_capturing(void* stream);

// 1 when [address, address + bytes) lies inside one live device allocation; else 0 with the reason in `why`
// (which allocation is nearest, freed or out of bounds by how many bytes). Inside queued work it holds the range to
// the bytes the engine's memory pool says are in use; at call time, to the allocation's pages.
int ep_emu_check_range(uint64_t address, uint64_t bytes, char* why, size_t why_size);

// The device (ordinal) whose memory holds `address`, or -1.
int ep_emu_device_of(uint64_t address);

// The device of the calling thread's current context, or -1 when none is current.
int ep_emu_current_device(void);

// Fails the work now running: the stream's next synchronizing call returns CUDA_ERROR_ILLEGAL_ADDRESS (700) and
// cuGetErrorString gives `message`. Call it from inside an ep_emu_work_fn.
void ep_emu_fail(const char* message);

// The emulator's version, e.g. "EdgePruning CUDA emulator 1"; its presence marks a library as emulated.
const char* ep_emu_version(void);

#ifdef __cplusplus
}
#endif
