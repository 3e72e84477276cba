// The collective calls (ncclAllReduce, ncclBroadcast, ncclReduce, ncclAllGather): argument and buffer checks
// at call time, then the rank's post, at once or at the outermost ncclGroupEnd. A rank whose call fails still
// posts its failure, so the other ranks' calls fail with it instead of waiting for a rank that is not coming.
#include <inttypes.h>
#include <stdio.h>

#include "ep_emu_host.h"
#include "nccl_internal.h"

namespace ep_nccl {
namespace {

std::string prefix(const Post& p, const Comm& comm) {
    return std::string(kind_name(p.kind)) + " (rank " + std::to_string(comm.rank) + " of " + std::to_string(comm.clique->nranks) + ")";
}

// Checks that `bytes` at `buffer` are device memory on the rank's device (NCCL checks the device too).
bool check_buffer(Post& p, const Comm& comm, const char* name, const void* buffer, size_t bytes) {
    if (bytes == 0) return true;
    char why[256] = "";
    auto address = (uint64_t)(uintptr_t)buffer;
    char text[512];
    if (!ep_emu_check_range(address, bytes, why, sizeof why)) {
        snprintf(text, sizeof text, ": %s 0x%" PRIx64 " + %zu bytes is not device memory: %s", name, address, bytes, why);
    } else if (ep_emu_device_of(address) != comm.device) {
        snprintf(text, sizeof text, ": %s 0x%" PRIx64 " is on device %d, but the rank's communicator is on device %d", name,
                 address, ep_emu_device_of(address), comm.device);
    } else {
        return true;
    }
    p.error = kInvalidArgument;
    p.why = prefix(p, comm) + text;
    return false;
}

void validate(Post& p, const Comm& comm, void* stream) {
    const int nranks = comm.clique->nranks;
    bool has_op = p.kind == Kind::kAllReduce || p.kind == Kind::kReduce;
    bool has_root = p.kind == Kind::kBroadcast || p.kind == Kind::kReduce;
    auto reject = [&](int error, const std::string& why) {
        p.error = error;
        p.why = prefix(p, comm) + ": " + why;
    };
    if (p.type < 0 || p.type >= kDataTypeCount) return reject(kInvalidArgument, "datatype " + std::to_string(p.type) + " is not an ncclDataType_t");
    if (has_op && (p.op < 0 || p.op >= kRedOpCount)) return reject(kInvalidArgument, "op " + std::to_string(p.op) + " is not an ncclRedOp_t");
    if (has_root && (p.root < 0 || p.root >= nranks))
        return reject(kInvalidArgument, "root " + std::to_string(p.root) + " is not a rank of " + std::to_string(nranks));
    if (ep_emu_is_capturing(stream))
        return reject(kInvalidUsage, "the stream is capturing a CUDA graph; the emulated NCCL cannot record collectives into graphs");
    size_t bytes = p.count * type_bytes(p.type);
    bool root = comm.rank == p.root;
    bool reads_send = p.kind != Kind::kBroadcast || root;
    bool writes_recv = p.kind != Kind::kReduce || root;
    size_t recv_bytes = p.kind == Kind::kAllGather ? bytes * (size_t)nranks : bytes;
    if (reads_send && !check_buffer(p, comm, "sendbuff", p.send, bytes)) return;
    if (writes_recv) check_buffer(p, comm, "recvbuff", p.recv, recv_bytes);
}

int collective(Kind kind, const void* send, void* recv, size_t count, int type, int op, int root, Comm* comm, void* stream) {
    if (!comm) return fail(kInvalidArgument, std::string(kind_name(kind)) + ": comm is null");
    {
        std::lock_guard<std::mutex> lock(comm->clique->mutex);
        if (comm->clique->broken != kSuccess) return fail(comm->clique->broken, comm->clique->broken_message);
    }
    Post p;
    p.kind = kind;
    p.count = count;
    p.type = type;
    p.op = op;
    p.root = root;
    p.send = send;
    p.recv = recv;
    validate(p, *comm, stream);
    bool valid = p.error == kSuccess;
    int error = p.error;
    std::string why = p.why;
    int result = submit(Deferred{comm->clique, comm->next_seq++, comm->rank, stream, valid, std::move(p), valid, kind_name(kind)});
    return valid ? result : fail(error, why);
}

}  // namespace
}  // namespace ep_nccl

using namespace ep_nccl;

EP_NCCL_API int ncclAllReduce(const void* send, void* recv, size_t count, int type, int op, Comm* comm, void* stream) {
    return collective(Kind::kAllReduce, send, recv, count, type, op, 0, comm, stream);
}

EP_NCCL_API int ncclBroadcast(const void* send, void* recv, size_t count, int type, int root, Comm* comm, void* stream) {
    return collective(Kind::kBroadcast, send, recv, count, type, 0, root, comm, stream);
}

EP_NCCL_API int ncclReduce(const void* send, void* recv, size_t count, int type, int op, int root, Comm* comm, void* stream) {
    return collective(Kind::kReduce, send, recv, count, type, op, root, comm, stream);
}

EP_NCCL_API int ncclAllGather(const void* send, void* recv, size_t count, int type, Comm* comm, void* stream) {
    return collective(Kind::kAllGather, send, recv, count, type, 0, 0, comm, stream);
}
