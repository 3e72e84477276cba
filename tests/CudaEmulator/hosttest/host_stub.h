// Controls of the stand-in for the emulated driver's host API (host_stub.cpp), which the host tests link
// instead of libcuda.so.1: device memory the test registers, the current device, capturing streams, whether
// work runs at once or at the stream's flush, the last failure reported by queued work, and how often each
// stream was flushed.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string>

namespace stub {

// 256-byte aligned host memory registered as device memory of `device` until freed (contents: zero).
void* device_alloc(size_t bytes, int device = 0);
void device_free(void* pointer);

// Deferred: ep_emu_enqueue only queues the work and ep_emu_flush runs the stream's queue, as the driver does;
// otherwise (the default) work runs at once.
void set_deferred(bool deferred);

void set_current_device(int device);  // for the calling thread; -1: no context current
void set_capturing(void* stream, bool capturing);

std::string last_failure();  // the message of the last ep_emu_fail, "" if none since clear_failure
void clear_failure();
int flushes(void* stream);   // ep_emu_flush calls on `stream` so far
int enqueued(void* stream);  // ep_emu_enqueue calls on `stream` so far

}  // namespace stub
