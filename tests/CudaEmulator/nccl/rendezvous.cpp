// The rendezvous of a communicator's ranks: posting a rank's part of a round, completing the round when the
// last part arrives (agreement checks, then the collective or the initialization check), and waiting for it
// with a deadline that turns a rank that never comes into an error naming it instead of a hang.
#include <stdlib.h>

#include "nccl_internal.h"

namespace ep_nccl {

void forget_unique_id(const Clique& clique);  // comm.cpp: an initialized clique's id can no longer be joined

namespace {

std::string describe(const Post& p) {
    if (p.kind == Kind::kInit) return "nranks " + std::to_string(p.nranks);
    return std::string(kind_name(p.kind)) + " count " + std::to_string(p.count) + ", datatype " +
           std::to_string(p.type) + ", op " + std::to_string(p.op) + ", root " + std::to_string(p.root);
}

bool agree(const Post& a, const Post& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == Kind::kInit) return a.nranks == b.nranks;
    bool has_op = a.kind == Kind::kAllReduce || a.kind == Kind::kReduce;
    bool has_root = a.kind == Kind::kBroadcast || a.kind == Kind::kReduce;
    return a.count == b.count && a.type == b.type && (!has_op || a.op == b.op) && (!has_root || a.root == b.root);
}

std::string round_name(const Round& round, uint64_t seq) {
    if (seq == 0) return "ncclCommInitRank";
    const char* name = "collective";
    for (size_t rank = 0; rank < round.posts.size(); rank++)
        if (round.arrived[rank]) name = kind_name(round.posts[rank].kind);
    return std::string(name) + " (collective #" + std::to_string(seq) + " of the communicator)";
}

void finish(Clique& clique, Round& round, int result, std::string message) {
    round.done = true;
    round.result = result;
    round.message = std::move(message);
    clique.changed.notify_all();
}

// Runs under the clique's lock once every rank has posted.
void complete(Clique& clique, uint64_t seq, Round& round) {
    for (int rank = 0; rank < clique.nranks; rank++)
        if (round.posts[rank].error != kSuccess)
            return finish(clique, round, round.posts[rank].error, round.posts[rank].why);
    for (int rank = 1; rank < clique.nranks; rank++)
        if (!agree(round.posts[0], round.posts[rank]))
            return finish(clique, round, kInvalidUsage,
                          round_name(round, seq) + ": rank " + std::to_string(rank) + " posted " +
                              describe(round.posts[rank]) + " but rank 0 posted " + describe(round.posts[0]));
    if (round.posts[0].kind == Kind::kInit) {
        for (int a = 0; a < clique.nranks; a++)
            for (int b = a + 1; b < clique.nranks; b++)
                if (round.posts[a].device == round.posts[b].device)
                    return finish(clique, round, kInvalidUsage,
                                  "ncclCommInitRank: Duplicate GPU detected: rank " + std::to_string(a) + " and rank " +
                                      std::to_string(b) + " both on CUDA device " + std::to_string(round.posts[a].device));
        forget_unique_id(clique);
        return finish(clique, round, kSuccess, "");
    }
    perform(round, clique.nranks);
    finish(clique, round, kSuccess, "");
}

void forget_if_left(Clique& clique, uint64_t seq, Round& round) {
    if (round.done && round.leavers == clique.nranks) clique.rounds.erase(seq);
}

Round& round_of(Clique& clique, uint64_t seq) {
    Round& round = clique.rounds[seq];
    if (round.posts.empty()) {
        round.posts.resize(clique.nranks);
        round.arrived.resize(clique.nranks, false);
    }
    return round;
}

}  // namespace

Deadline deadline_from_now() {
    double seconds = 60;
    if (const char* text = getenv("EP_EMU_NCCL_TIMEOUT_S")) {
        char* end = nullptr;
        double parsed = strtod(text, &end);
        if (end != text && parsed > 0) seconds = parsed;
    }
    return std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

void post(Clique& clique, uint64_t seq, int rank, Post part, bool waits) {
    std::lock_guard<std::mutex> lock(clique.mutex);
    Round& round = round_of(clique, seq);
    if (!waits) round.leavers++;
    if (round.done) return forget_if_left(clique, seq, round);  // it failed (timeout, abort) before this rank came
    if (round.arrived[rank])
        return finish(clique, round, kInvalidUsage,
                      "rank " + std::to_string(rank) + " posted " + describe(part) + " twice (two communicators with one rank?)");
    round.arrived[rank] = true;
    round.posts[rank] = std::move(part);
    if (++round.arrivals == clique.nranks) complete(clique, seq, round);
    forget_if_left(clique, seq, round);
}

int wait(Clique& clique, uint64_t seq, int rank, Deadline deadline, std::string& message) {
    std::unique_lock<std::mutex> lock(clique.mutex);
    Round& round = round_of(clique, seq);
    while (!round.done) {
        if (clique.broken != kSuccess) {
            finish(clique, round, clique.broken, clique.broken_message);
            break;
        }
        if (clique.changed.wait_until(lock, deadline) == std::cv_status::timeout && !round.done) {
            std::string missing;
            for (int r = 0; r < clique.nranks; r++)
                if (!round.arrived[r]) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
            std::string text = round_name(round, seq) + ": rank(s) " + missing + " of " + std::to_string(clique.nranks) +
                               " never arrived (EP_EMU_NCCL_TIMEOUT_S, default 60 s, ran out); the communicator is unusable";
            clique.broken = kSystemError;
            clique.broken_message = text;
            finish(clique, round, kSystemError, text);
        }
    }
    int result = round.result;
    message = round.message;
    round.leavers++;
    forget_if_left(clique, seq, round);
    return result;
}

}  // namespace ep_nccl
