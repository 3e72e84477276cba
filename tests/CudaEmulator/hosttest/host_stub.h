// Controls of the stand-in for the emulated driver's host API (host_stub.cpp), which the host tests link
// instead of libcuda.so.1: device memory the test registers, the current device, capturing streams, the last
// failure reported by queued work, and how often each stream was flushed.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string>

namespace stub {

// 256-byte aligned host memory registered as device memory of `device` until freed (contents: zero).
void* device_alloc(size_t bytes, int device = 0);
void device_free(void* pointer);

void set_current_device(int device);  // for the calling thread; -1: no context current
void set_capturing(void* stream, bool capturing);

std::string last_failure();  // the message of the last ep_emu_fail, "" if none since clear_failure
void clear_failure();
int flushes(void* stream);   // ep_emu_flush calls on `stream` so far
int enqueued(void* stream);  // ep_emu_enqueue calls on `stream` so far

}  // namespace stub
