// What the emulated NCCL's files share: NCCL's result, data-type and reduction codes (the real values), the
// communicator and its clique (the ranks of one communicator), the posts ranks make to a rendezvous, and the
// group queue.
//
// Blocking model: a collective runs on the host when every rank of the communicator has posted it. Each rank
// first flushes its own stream (so the collective sees the work queued before it), posts, and blocks on the
// clique's condition variable; the rank whose post completes the round checks that all posts agree and
// performs the collective for all ranks at once, in rank order, reading and writing device memory directly.
// When the call returns, the result is in the receive buffers, before anything queued on the stream later.
#pragma once
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stddef.h>
#include <stdint.h>
#include <string>
#include <vector>

#define EP_NCCL_API extern "C" __attribute__((visibility("default")))

namespace ep_nccl {

enum Result {
    kSuccess = 0, kUnhandledCudaError = 1, kSystemError = 2, kInternalError = 3, kInvalidArgument = 4,
    kInvalidUsage = 5, kRemoteError = 6, kInProgress = 7,
};
enum DataType {
    kInt8 = 0, kUint8 = 1, kInt32 = 2, kUint32 = 3, kInt64 = 4, kUint64 = 5, kFloat16 = 6, kFloat32 = 7,
    kFloat64 = 8, kBfloat16 = 9, kDataTypeCount = 10,
};
enum RedOp { kSum = 0, kProd = 1, kMax = 2, kMin = 3, kAvg = 4, kRedOpCount = 5 };
enum class Kind { kInit, kAllReduce, kBroadcast, kReduce, kAllGather };

constexpr int kVersionCode = 22105;  // NCCL 2.21.5: 2*10000 + 21*100 + 5
constexpr size_t kUniqueIdBytes = 128;

const char* kind_name(Kind kind);
size_t type_bytes(int type);

// One rank's part of a round: what it asked for, or why its call already failed (the round then fails for all,
// instead of leaving the other ranks waiting).
struct Post {
    Kind kind = Kind::kInit;
    size_t count = 0;
    int type = 0, op = 0, root = 0;
    const void* send = nullptr;
    void* recv = nullptr;
    int device = -1;   // for kInit: the rank's CUDA device
    int nranks = 0;    // for kInit: the communicator size this rank asked for
    int error = kSuccess;
    std::string why;
};

struct Round {
    std::vector<Post> posts;        // by rank
    std::vector<bool> arrived;      // by rank
    int arrivals = 0, leavers = 0;  // the round is forgotten when every rank has left it
    bool done = false;
    int result = kSuccess;
    std::string message;
};

// The ranks of one communicator, and its rounds by sequence number (0 is the initialization).
struct Clique {
    explicit Clique(int n) : nranks(n) {}
    const int nranks;
    std::mutex mutex;
    std::condition_variable changed;
    std::map<uint64_t, Round> rounds;
    int broken = kSuccess;  // after a timeout or an abort, every call fails with this and `broken_message`
    std::string broken_message;
    std::string id;         // the ncclUniqueId (as bytes) this clique was made from, for its registry entry
};

struct Comm {
    std::shared_ptr<Clique> clique;
    int rank = 0, device = 0;
    uint64_t next_seq = 1;
};

using Deadline = std::chrono::steady_clock::time_point;

// The wait limit of a rendezvous: EP_EMU_NCCL_TIMEOUT_S seconds (default 60), from now.
Deadline deadline_from_now();

// Adds `post` as rank `rank`'s part of round `seq`; when it is the last part, completes the round (checks the
// posts agree and performs the collective). A rank that will not wait passes waits = false.
void post(Clique& clique, uint64_t seq, int rank, Post post, bool waits);

// Blocks until round `seq` is done (or the clique broke, or the deadline passed: then the round fails for all,
// naming the ranks that never arrived); returns its result, with the message in `message`.
int wait(Clique& clique, uint64_t seq, int rank, Deadline deadline, std::string& message);

// Performs a complete collective round (every rank has posted and agrees): defined in reduce.cpp.
void perform(Round& round, int nranks);

// Sets the calling thread's ncclGetLastError text and returns `result`.
int fail(int result, const std::string& message);

// A call to run at the outermost ncclGroupEnd (or at once outside a group): the stream to flush, then the post.
struct Deferred {
    std::shared_ptr<Clique> clique;
    uint64_t seq;
    int rank;
    void* stream;      // flushed before posting (nullptr and flush = false for initialization)
    bool flush;
    Post post;
    bool waits;
    std::string call;  // for messages
};

// Inside ncclGroupStart/End: queues `deferred` and returns ncclSuccess. Outside: flushes, posts and waits now,
// returning the round's result.
int submit(Deferred deferred);

}  // namespace ep_nccl
