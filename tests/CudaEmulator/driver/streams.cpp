// Streams, events and graphs. Work queued on a stream runs later, in order, when something waits for it
// (cuStreamSynchronize, cuCtxSynchronize, cuEventSynchronize, a copy into pageable host memory, which CUDA
// makes synchronous). So a program that reads a pinned buffer before waiting, or rewrites one before the copy
// from it ran, sees what it would see on a GPU at worst. While a stream captures, its work becomes the nodes of
// a graph instead (run at each launch of the graph, reading host memory then), and calls a capture forbids
// fail and invalidate it, as the driver does.
#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <thread>

#include "emulator.h"

namespace emu
{
struct Stream
{
    int device = 0;
    std::mutex queue_gate;
    std::recursive_mutex run_gate;
    std::deque<std::shared_ptr<Op>> queue;
    bool capturing = false;
    bool capture_invalidated = false;
    int capture_mode = 0;
    std::thread::id capture_thread;
    Graph* graph = nullptr;
};

namespace
{
std::mutex registry_gate;
std::set<Stream*> streams;
std::map<int, Stream*> default_streams;
thread_local std::string work_failure;
thread_local bool in_external_work = false;
}

Stream* StreamOf(void* handle)
{
    std::lock_guard lock(registry_gate);
    if (handle == nullptr)
    {
        int device = CurrentDevice();
        if (device < 0) return nullptr;
        Stream*& s = default_streams[device];
        if (!s)
        {
            s = new Stream();
            s->device = device;
            streams.insert(s);
        }
        return s;
    }
    Stream* s = (Stream*)handle;
    return streams.count(s) ? s : nullptr;
}

Stream* CreateStream(int device)
{
    std::lock_guard lock(registry_gate);
    Stream* s = new Stream();
    s->device = device;
    streams.insert(s);
    return s;
}

bool DestroyStream(Stream* stream)
{
    Flush(stream);
    std::lock_guard lock(registry_gate);
    if (!streams.erase(stream)) return false;
    delete stream;
    return true;
}

int StreamDevice(Stream* stream) { return stream->device; }

int Enqueue(Stream* stream, std::shared_ptr<Op> op)
{
    std::lock_guard lock(stream->queue_gate);
    if (stream->capturing)
    {
        stream->graph->nodes.push_back(std::move(op));
        return Success;
    }
    stream->queue.push_back(std::move(op));
    return Success;
}

int Flush(Stream* stream)
{
    std::lock_guard run(stream->run_gate);
    for (;;)
    {
        std::shared_ptr<Op> op;
        {
            std::lock_guard lock(stream->queue_gate);
            if (stream->queue.empty()) return Success;
            op = stream->queue.front();
            stream->queue.pop_front();
        }
        int result = op->run();
        if (result != Success)
        {
            // The work queued after a failed operation is dropped, as a GPU's context is lost after a fault.
            std::lock_guard lock(stream->queue_gate);
            stream->queue.clear();
            return result;
        }
    }
}

int FlushDevice(int device)
{
    std::vector<Stream*> all;
    {
        std::lock_guard lock(registry_gate);
        for (Stream* s : streams)
            if (s->device == device) all.push_back(s);
    }
    int first = Success;
    for (Stream* s : all)
    {
        int result = Flush(s);
        if (first == Success) first = result;
    }
    return first;
}

bool Capturing(Stream* stream)
{
    std::lock_guard lock(stream->queue_gate);
    return stream->capturing;
}

int CaptureMode(Stream* stream) { return stream->capture_mode; }

int RefuseWhileCapturing(Stream* stream, const char* call)
{
    std::lock_guard lock(stream->queue_gate);
    if (!stream->capturing) return Success;
    stream->capture_invalidated = true;
    SetDetail(std::string(call) + " is not allowed while the stream captures a graph; the capture is invalidated");
    return StreamCaptureUnsupported;
}

// Whether a capture on this thread forbids a potentially unsafe call (allocation): every mode but relaxed does.
int RefuseUnsafeCall(const char* call)
{
    std::lock_guard lock(registry_gate);
    for (Stream* s : streams)
    {
        std::lock_guard inner(s->queue_gate);
        if (s->capturing && s->capture_mode != 2 && (s->capture_mode == 0 || s->capture_thread == std::this_thread::get_id()))
        {
            s->capture_invalidated = true;
            SetDetail(std::string(call) + " is not allowed while a stream captures a graph in global or thread-local mode");
            return StreamCaptureUnsupported;
        }
    }
    return Success;
}

int BeginCapture(Stream* stream, int mode)
{
    std::lock_guard lock(stream->queue_gate);
    if (stream->capturing) return 401;   // CUDA_ERROR_ILLEGAL_STATE
    if (mode < 0 || mode > 2) return InvalidValue;
    stream->capturing = true;
    stream->capture_invalidated = false;
    stream->capture_mode = mode;
    stream->capture_thread = std::this_thread::get_id();
    stream->graph = new Graph();
    return Success;
}

int EndCapture(Stream* stream, Graph** graph)
{
    std::lock_guard lock(stream->queue_gate);
    if (!stream->capturing) return 401;
    if (stream->capture_mode != 2 && stream->capture_thread != std::this_thread::get_id()) return StreamCaptureWrongThread;
    stream->capturing = false;
    Graph* captured = stream->graph;
    stream->graph = nullptr;
    if (stream->capture_invalidated)
    {
        delete captured;
        *graph = nullptr;
        return StreamCaptureInvalidated;
    }
    *graph = captured;
    return Success;
}

int LaunchGraph(Graph* executable, Stream* stream)
{
    auto nodes = executable->nodes;
    auto op = std::make_shared<Op>();
    op->name = "graph";
    op->run = [nodes]() {
        for (const auto& node : nodes)
        {
            int result = node->run();
            if (result != Success) return result;
        }
        return (int)Success;
    };
    return Enqueue(stream, op);
}

// ---- events --------------------------------------------------------------------------------------------------
struct Event
{
    Stream* stream = nullptr;
    bool complete = true;
    bool recorded = false;
    double milliseconds = 0;
};

namespace
{
std::mutex event_gate;
std::set<Event*> events;

double Now()
{
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}
}

Event* EventOf(void* handle)
{
    std::lock_guard lock(event_gate);
    return events.count((Event*)handle) ? (Event*)handle : nullptr;
}

Event* CreateEvent()
{
    std::lock_guard lock(event_gate);
    Event* e = new Event();
    events.insert(e);
    return e;
}

bool DestroyEvent(Event* e)
{
    std::lock_guard lock(event_gate);
    if (!events.erase(e)) return false;
    delete e;
    return true;
}

int RecordEvent(Event* e, Stream* stream)
{
    e->stream = stream;
    e->complete = false;
    e->recorded = true;
    auto op = std::make_shared<Op>();
    op->name = "event record";
    op->run = [e]() {
        e->milliseconds = Now();
        e->complete = true;
        return (int)Success;
    };
    return Enqueue(stream, op);
}

int SynchronizeEvent(Event* e)
{
    if (!e->recorded || !e->stream) return Success;
    if (int refused = RefuseWhileCapturing(e->stream, "cuEventSynchronize")) return refused;
    return Flush(e->stream);
}

int ElapsedTime(float* milliseconds, Event* start, Event* end)
{
    if (!start->recorded || !end->recorded) return 400;   // CUDA_ERROR_INVALID_HANDLE: never recorded
    if (!start->complete || !end->complete) return NotReady;
    *milliseconds = (float)(end->milliseconds - start->milliseconds);
    return Success;
}

int WaitEvent(Stream* stream, Event* e)
{
    // Work on the event's stream runs now: earlier than the waiting stream needs it, which is always allowed.
    if (!e->recorded || !e->stream || e->stream == stream) return Success;
    return Flush(e->stream);
}

// ---- work of the other emulated libraries --------------------------------------------------------------------
std::shared_ptr<Op> ExternalWork(const char* name, ep_emu_work_fn run, const void* state, size_t bytes)
{
    auto copy = std::make_shared<std::vector<unsigned char>>((const unsigned char*)state, (const unsigned char*)state + bytes);
    auto op = std::make_shared<Op>();
    op->name = name ? name : "work";
    std::string label = op->name;
    op->run = [run, copy, label]() {
        work_failure.clear();
        in_external_work = true;
        run(copy->data());
        in_external_work = false;
        if (work_failure.empty()) return (int)Success;
        SetDetail(label + ": " + work_failure);
        return (int)IllegalAddress;
    };
    return op;
}

bool InQueuedWork() { return in_external_work; }

void FailExternalWork(const char* message)
{
    if (work_failure.empty()) work_failure = message ? message : "failed";
}
}

EP_EXPORT int ep_emu_enqueue(void* stream, const char* name, ep_emu_work_fn run, const void* state, size_t state_bytes)
{
    emu::Stream* s = emu::StreamOf(stream);
    if (!s) return emu::InvalidHandle;
    return emu::Enqueue(s, emu::ExternalWork(name, run, state, state_bytes));
}

EP_EXPORT int ep_emu_flush(void* stream)
{
    emu::Stream* s = emu::StreamOf(stream);
    if (!s) return emu::InvalidHandle;
    return emu::Flush(s);
}

EP_EXPORT int ep_emu_is_capturing(void* stream)
{
    emu::Stream* s = emu::StreamOf(stream);
    return s && emu::Capturing(s);
}

EP_EXPORT void ep_emu_fail(const char* message)
{
    emu::FailExternalWork(message);
}
