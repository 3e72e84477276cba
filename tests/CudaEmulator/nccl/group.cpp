// ncclGroupStart/ncclGroupEnd and the running of posts: inside a group (per thread, nestable) calls are only
// queued; the outermost ncclGroupEnd flushes every queued call's stream, posts them all and only then waits
// for them, so one thread can drive every rank of a communicator.
#include "ep_emu_host.h"
#include "nccl_internal.h"

namespace ep_nccl {
namespace {

thread_local int group_depth = 0;
thread_local std::vector<Deferred> group_queue;

int run(std::vector<Deferred>& calls) {
    int result = kSuccess;
    std::string message;
    for (Deferred& call : calls) {
        if (!call.flush) continue;
        int flushed = ep_emu_flush(call.stream);
        if (flushed == 0) continue;
        call.post.error = kUnhandledCudaError;
        call.post.why = call.call + " (rank " + std::to_string(call.rank) + "): flushing its stream failed with CUresult " +
                        std::to_string(flushed);
        call.waits = false;
        if (result == kSuccess) result = kUnhandledCudaError, message = call.post.why;
    }
    Deadline deadline = deadline_from_now();
    for (Deferred& call : calls) post(*call.clique, call.seq, call.rank, call.post, call.waits);
    for (Deferred& call : calls) {
        if (!call.waits) continue;
        std::string text;
        int waited = wait(*call.clique, call.seq, call.rank, deadline, text);
        if (waited != kSuccess && result == kSuccess) result = waited, message = text;
    }
    return result == kSuccess ? kSuccess : fail(result, message);
}

}  // namespace

int submit(Deferred deferred) {
    if (group_depth > 0) {
        group_queue.push_back(std::move(deferred));
        return kSuccess;
    }
    std::vector<Deferred> calls;
    calls.push_back(std::move(deferred));
    return run(calls);
}

}  // namespace ep_nccl

using namespace ep_nccl;

EP_NCCL_API int ncclGroupStart(void) {
    group_depth++;
    return kSuccess;
}

EP_NCCL_API int ncclGroupEnd(void) {
    if (group_depth == 0) return fail(kInvalidUsage, "ncclGroupEnd: no ncclGroupStart to end");
    if (--group_depth > 0) return kSuccess;
    std::vector<Deferred> calls;
    calls.swap(group_queue);
    return run(calls);
}
