// Communicators: unique ids and the registry that gathers the ranks joining one, ncclCommInitRank (a
// rendezvous of all ranks, which checks they are on distinct devices), ncclCommInitAll, destruction, abort
// and the queries; also the version, the error strings and the calling thread's last error.
#include <atomic>
#include <chrono>
#include <string.h>
#include <unistd.h>

#include "ep_emu_host.h"
#include "nccl_internal.h"

namespace ep_nccl {

namespace {
std::mutex registry_mutex;
std::map<std::string, std::shared_ptr<Clique>>& registry() {  // ranks still joining, by ncclUniqueId bytes
    static auto* cliques = new std::map<std::string, std::shared_ptr<Clique>>();  // never destroyed: calls may come during exit
    return *cliques;
}
thread_local std::string last_error;
}  // namespace

int fail(int result, const std::string& message) {
    last_error = message;
    return result;
}

void forget_unique_id(const Clique& clique) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto found = registry().find(clique.id);
    if (found != registry().end() && found->second.get() == &clique) registry().erase(found);
}

const char* kind_name(Kind kind) {
    switch (kind) {
        case Kind::kInit: return "ncclCommInitRank";
        case Kind::kAllReduce: return "ncclAllReduce";
        case Kind::kBroadcast: return "ncclBroadcast";
        case Kind::kReduce: return "ncclReduce";
        default: return "ncclAllGather";
    }
}

size_t type_bytes(int type) {
    switch (type) {
        case kInt8: case kUint8: return 1;
        case kFloat16: case kBfloat16: return 2;
        case kInt32: case kUint32: case kFloat32: return 4;
        default: return 8;
    }
}

}  // namespace ep_nccl

using namespace ep_nccl;

struct ncclUniqueId { char internal[kUniqueIdBytes]; };

EP_NCCL_API int ncclGetVersion(int* version) {
    if (!version) return fail(kInvalidArgument, "ncclGetVersion: version is null");
    *version = kVersionCode;
    return kSuccess;
}

EP_NCCL_API const char* ncclGetErrorString(int result) {
    switch (result) {
        case kSuccess: return "no error";
        case kUnhandledCudaError: return "unhandled cuda error (run with NCCL_DEBUG=INFO for details)";
        case kSystemError: return "unhandled system error (run with NCCL_DEBUG=INFO for details)";
        case kInternalError: return "internal error - please report this issue to the NCCL developers";
        case kInvalidArgument: return "invalid argument (run with NCCL_DEBUG=WARN for details)";
        case kInvalidUsage: return "invalid usage (run with NCCL_DEBUG=WARN for details)";
        case kRemoteError: return "remote process exited or there was a network error";
        case kInProgress: return "NCCL operation in progress";
        default: return "unknown result code";
    }
}

// As in NCCL, the text of the calling thread's last error (the communicator argument is not consulted).
EP_NCCL_API const char* ncclGetLastError(void* comm) { return last_error.c_str(); }

EP_NCCL_API int ncclGetUniqueId(ncclUniqueId* id) {
    if (!id) return fail(kInvalidArgument, "ncclGetUniqueId: id is null");
    // Unique within the process (the emulator's communicators never leave it): pid, a counter and the clock.
    static std::atomic<uint64_t> counter{0};
    memset(id->internal, 0, sizeof id->internal);
    uint64_t parts[4] = {0x45504e43434c4944ull /* "EPNCCLID" */, (uint64_t)getpid(), ++counter,
                         (uint64_t)std::chrono::steady_clock::now().time_since_epoch().count()};
    memcpy(id->internal, parts, sizeof parts);
    return kSuccess;
}

EP_NCCL_API int ncclCommInitRank(Comm** comm, int nranks, ncclUniqueId id, int rank) {
    if (!comm) return fail(kInvalidArgument, "ncclCommInitRank: comm is null");
    if (nranks < 1 || rank < 0 || rank >= nranks)
        return fail(kInvalidArgument, "ncclCommInitRank: rank " + std::to_string(rank) + " is not in [0, nranks " + std::to_string(nranks) + ")");
    // NCCL takes the current device; with no context current, the runtime's default device is 0.
    int device = ep_emu_current_device();
    if (device < 0) device = 0;
    std::string key(id.internal, kUniqueIdBytes);
    std::shared_ptr<Clique> clique;
    {
        std::lock_guard<std::mutex> lock(registry_mutex);
        auto& entry = registry()[key];
        if (!entry) {
            entry = std::make_shared<Clique>(nranks);
            entry->id = key;
        }
        clique = entry;
    }
    if (clique->nranks != nranks) {
        std::string text = "ncclCommInitRank: rank " + std::to_string(rank) + " joined with nranks " + std::to_string(nranks) +
                           " but the id was first used with nranks " + std::to_string(clique->nranks);
        std::lock_guard<std::mutex> lock(clique->mutex);
        clique->broken = kInvalidUsage;  // the ranks already waiting fail now instead of timing out
        clique->broken_message = text;
        clique->changed.notify_all();
        return fail(kInvalidUsage, text);
    }
    auto* created = new Comm{clique, rank, device, 1};
    *comm = created;
    Post part;
    part.kind = Kind::kInit;
    part.device = device;
    part.nranks = nranks;
    int result = submit(Deferred{clique, 0, rank, nullptr, false, part, true, "ncclCommInitRank"});
    if (result != kSuccess) {  // outside a group the comm is unusable: free it (inside, ncclGroupEnd reports)
        delete created;
        *comm = nullptr;
    }
    return result;
}

EP_NCCL_API int ncclCommInitAll(Comm** comms, int ndev, const int* devlist) {
    if (!comms) return fail(kInvalidArgument, "ncclCommInitAll: comms is null");
    if (ndev < 1) return fail(kInvalidArgument, "ncclCommInitAll: ndev " + std::to_string(ndev) + " < 1");
    std::map<int, int> rank_of_device;
    for (int rank = 0; rank < ndev; rank++) {
        int device = devlist ? devlist[rank] : rank;
        if (device < 0) return fail(kInvalidArgument, "ncclCommInitAll: devlist[" + std::to_string(rank) + "] = " + std::to_string(device));
        if (!rank_of_device.emplace(device, rank).second)
            return fail(kInvalidUsage, "ncclCommInitAll: Duplicate GPU detected: rank " + std::to_string(rank_of_device[device]) +
                                           " and rank " + std::to_string(rank) + " both on CUDA device " + std::to_string(device));
    }
    auto clique = std::make_shared<Clique>(ndev);
    for (int rank = 0; rank < ndev; rank++) comms[rank] = new Comm{clique, rank, devlist ? devlist[rank] : rank, 1};
    return kSuccess;
}

// Collectives finish before their call returns, so nothing is pending: destroying frees the rank. NCCL
// accepts a null communicator here.
EP_NCCL_API int ncclCommDestroy(Comm* comm) {
    delete comm;
    return kSuccess;
}

// Also breaks the communicator for the other ranks: those waiting in (or later calling) a collective get
// ncclRemoteError instead of waiting for this rank.
EP_NCCL_API int ncclCommAbort(Comm* comm) {
    if (!comm) return kSuccess;
    {
        std::lock_guard<std::mutex> lock(comm->clique->mutex);
        if (comm->clique->broken == kSuccess) {
            comm->clique->broken = kRemoteError;
            comm->clique->broken_message = "rank " + std::to_string(comm->rank) + " aborted the communicator (ncclCommAbort)";
        }
        comm->clique->changed.notify_all();
    }
    delete comm;
    return kSuccess;
}

EP_NCCL_API int ncclCommCount(const Comm* comm, int* count) {
    if (!comm || !count) return fail(kInvalidArgument, "ncclCommCount: comm or count is null");
    *count = comm->clique->nranks;
    return kSuccess;
}

EP_NCCL_API int ncclCommCuDevice(const Comm* comm, int* device) {
    if (!comm || !device) return fail(kInvalidArgument, "ncclCommCuDevice: comm or device is null");
    *device = comm->device;
    return kSuccess;
}

EP_NCCL_API int ncclCommUserRank(const Comm* comm, int* rank) {
    if (!comm || !rank) return fail(kInvalidArgument, "ncclCommUserRank: comm or rank is null");
    *rank = comm->rank;
    return kSuccess;
}
