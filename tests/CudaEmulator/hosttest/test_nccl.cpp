// NCCL: all-reduce (sum, max, avg, prod, min over f32, bf16, f16, f64, int32, int64, uint8) of 2 and 3 ranks,
// one thread per rank and one thread with group calls; in-place calls, broadcast, reduce, all-gather;
// communicators from ncclCommInitRank (threads and groups) and ncclCommInitAll; and the failures: mismatched
// calls, bad buffers, duplicate devices, graph capture, a rank that never comes (timeout) and an abort.
#include <chrono>
#include <functional>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <thread>
#include <vector>

#include "../cublas/floatbits.h"
#include "api.h"
#include "ep_emu_host.h"
#include "host_stub.h"
#include "testing.h"

namespace {

void* stream_of(int rank) { return reinterpret_cast<void*>(0x7000 + rank); }

struct Ranks {
    std::vector<ncclComm_t> comms;
    explicit Ranks(int n) : comms(n) { EXPECT(ncclCommInitAll(comms.data(), n, nullptr) == ncclSuccess, "ncclCommInitAll(%d)", n); }
    ~Ranks() {
        for (ncclComm_t comm : comms) ncclCommDestroy(comm);
    }
    int size() const { return (int)comms.size(); }
};

// Device buffers of `count` elements of T on each rank's device.
template <class T> struct PerRank {
    std::vector<T*> buffers;
    PerRank(int n, size_t count) {
        for (int r = 0; r < n; r++) buffers.push_back(static_cast<T*>(stub::device_alloc(count * sizeof(T), r)));
    }
    ~PerRank() {
        for (T* b : buffers) stub::device_free(b);
    }
    T* operator[](int r) const { return buffers[r]; }
};

void on_threads(int n, const std::function<void(int)>& body) {
    std::vector<std::thread> threads;
    for (int r = 0; r < n; r++) threads.emplace_back(body, r);
    for (std::thread& t : threads) t.join();
}

// Runs one call per rank, one thread per rank (grouped = false) or all from this thread inside a group;
// returns each rank's result (in a group: the call's, or ncclGroupEnd's when the call succeeded).
std::vector<int> each_rank(int n, bool grouped, const std::function<int(int)>& call) {
    std::vector<int> results(n, -1);
    if (!grouped) {
        on_threads(n, [&](int r) { results[r] = call(r); });
        return results;
    }
    ncclGroupStart();
    for (int r = 0; r < n; r++) results[r] = call(r);
    int end = ncclGroupEnd();
    for (int& result : results)
        if (result == ncclSuccess) result = end;
    return results;
}

bool contains(const char* text, const char* part) { return strstr(text, part) != nullptr; }

float value(int rank, size_t e) { return (float)((e * 7 + rank * 13) % 19) * 0.37f - 3.1f + rank * 1e-3f; }

}  // namespace

TEST(nccl_version_and_error_strings) {
    int version = 0;
    EXPECT(ncclGetVersion(&version) == ncclSuccess && version == 22105, "version %d", version);
    EXPECT(contains(ncclGetErrorString(ncclInvalidUsage), "invalid usage"), "%s", ncclGetErrorString(ncclInvalidUsage));
    EXPECT(strcmp(ncclGetErrorString(ncclSuccess), "no error") == 0, "success string");
    EXPECT(ncclGroupEnd() == ncclInvalidUsage && contains(ncclGetLastError(nullptr), "ncclGroupStart"), "unmatched ncclGroupEnd");
}

TEST(nccl_allreduce_f32_sum_max_min_prod_avg_in_rank_order) {
    const size_t count = 2500;  // more than one internal chunk
    for (int n : {2, 3})
        for (bool grouped : {false, true})
            for (int op : {ncclSum, ncclMax, ncclMin, ncclProd, ncclAvg}) {
                Ranks ranks(n);
                PerRank<float> send(n, count), recv(n, count);
                for (int r = 0; r < n; r++)
                    for (size_t e = 0; e < count; e++) send[r][e] = value(r, e);
                int flushes = stub::flushes(stream_of(0));
                auto results = each_rank(n, grouped, [&](int r) {
                    return ncclAllReduce(send[r], recv[r], count, ncclFloat32, op, ranks.comms[r], stream_of(r));
                });
                for (int r = 0; r < n; r++) EXPECT(results[r] == ncclSuccess, "n=%d grouped=%d op=%d rank %d: %d", n, grouped, op, r, results[r]);
                EXPECT(stub::flushes(stream_of(0)) == flushes + 1, "the collective flushed its stream first");
                int bad = 0;
                for (size_t e = 0; e < count; e++) {
                    float want = op == ncclAvg ? value(0, e) * (1.0f / n) : value(0, e);
                    for (int r = 1; r < n; r++) {
                        float x = value(r, e);
                        switch (op) {
                            case ncclSum: want = want + x; break;
                            case ncclMax: want = fmaxf(want, x); break;
                            case ncclMin: want = fminf(want, x); break;
                            case ncclProd: want = want * x; break;
                            default: want = want + x * (1.0f / n); break;
                        }
                    }
                    for (int r = 0; r < n; r++)
                        if (recv[r][e] != want && bad++ < 3)
                            EXPECT(false, "n=%d grouped=%d op=%d rank %d element %zu: %.9g, want %.9g", n, grouped, op, r, e, recv[r][e], want);
                }
            }
}

TEST(nccl_allreduce_other_types) {
    const int n = 3;
    const size_t count = 5;
    Ranks ranks(n);
    {  // bf16 sum: each step rounded to bf16
        PerRank<uint16_t> send(n, count), recv(n, count);
        for (int r = 0; r < n; r++)
            for (size_t e = 0; e < count; e++) send[r][e] = ep_emu::f32_to_bf16(1.0f + r * 0.00390625f * 1.5f + e);
        auto results = each_rank(n, true, [&](int r) { return ncclAllReduce(send[r], recv[r], count, ncclBfloat16, ncclSum, ranks.comms[r], nullptr); });
        EXPECT(results[0] == ncclSuccess, "bf16 %d", results[0]);
        for (size_t e = 0; e < count; e++) {
            float want = ep_emu::bf16_to_f32(send[0][e]);
            for (int r = 1; r < n; r++) want = ep_emu::bf16_to_f32(ep_emu::f32_to_bf16(want + ep_emu::bf16_to_f32(send[r][e])));
            EXPECT(ep_emu::bf16_to_f32(recv[2][e]) == want, "bf16 element %zu: %g, want %g", e, ep_emu::bf16_to_f32(recv[2][e]), want);
        }
    }
    {  // f16 max
        PerRank<uint16_t> send(n, count), recv(n, count);
        for (int r = 0; r < n; r++)
            for (size_t e = 0; e < count; e++) send[r][e] = ep_emu::f32_to_f16((float)((r * 5 + e * 3) % 7) - 3.5f);
        auto results = each_rank(n, true, [&](int r) { return ncclAllReduce(send[r], recv[r], count, ncclFloat16, ncclMax, ranks.comms[r], nullptr); });
        EXPECT(results[0] == ncclSuccess, "f16 %d", results[0]);
        for (size_t e = 0; e < count; e++) {
            float want = -INFINITY;
            for (int r = 0; r < n; r++) want = fmaxf(want, ep_emu::f16_to_f32(send[r][e]));
            EXPECT(ep_emu::f16_to_f32(recv[1][e]) == want, "f16 element %zu", e);
        }
    }
    {  // int32 avg truncates toward zero; int64 sum; uint8 sum wraps; f64 sum
        PerRank<int32_t> si(n, count), ri(n, count);
        PerRank<int64_t> sl(n, count), rl(n, count);
        PerRank<uint8_t> sb(n, count), rb(n, count);
        PerRank<double> sd(n, count), rd(n, count);
        for (int r = 0; r < n; r++)
            for (size_t e = 0; e < count; e++) {
                si[r][e] = (int32_t)(e % 2 ? -1 : 1) * (int32_t)(r + e + 1);
                sl[r][e] = (int64_t)1 << (40 + r);
                sb[r][e] = (uint8_t)(100 + e);
                sd[r][e] = 0.1 * (r + 1);
            }
        auto results = each_rank(n, true, [&](int r) {
            int a = ncclAllReduce(si[r], ri[r], count, ncclInt32, ncclAvg, ranks.comms[r], nullptr);
            int b = ncclAllReduce(sl[r], rl[r], count, ncclInt64, ncclSum, ranks.comms[r], nullptr);
            int c = ncclAllReduce(sb[r], rb[r], count, ncclUint8, ncclSum, ranks.comms[r], nullptr);
            int d = ncclAllReduce(sd[r], rd[r], count, ncclFloat64, ncclSum, ranks.comms[r], nullptr);
            return a | b | c | d;
        });
        EXPECT(results[0] == ncclSuccess, "integer calls %d", results[0]);
        for (size_t e = 0; e < count; e++) {
            int32_t sum = 0;
            for (int r = 0; r < n; r++) sum += si[r][e];
            EXPECT(ri[0][e] == sum / n, "int32 avg element %zu: %d, want %d", e, ri[0][e], sum / n);
            EXPECT(rl[2][e] == ((int64_t)7 << 40), "int64 sum");
            EXPECT(rb[1][e] == (uint8_t)(3 * (100 + e)), "uint8 sum wraps: %d", rb[1][e]);
            EXPECT(rd[0][e] == (0.1 + 0.2) + 0.30000000000000004, "f64 sum in rank order: %.17g", rd[0][e]);
        }
    }
}

TEST(nccl_in_place_allreduce_broadcast_reduce_allgather) {
    const int n = 3;
    const size_t count = 1100;
    Ranks ranks(n);
    PerRank<float> buffer(n, count * n), recv(n, count * n);
    auto fill = [&] {
        for (int r = 0; r < n; r++)
            for (size_t e = 0; e < count * n; e++) buffer[r][e] = value(r, e);
    };
    fill();  // in-place all-reduce
    auto results = each_rank(n, false, [&](int r) { return ncclAllReduce(buffer[r], buffer[r], count, ncclFloat32, ncclSum, ranks.comms[r], stream_of(r)); });
    for (size_t e = 0; e < count; e++)
        for (int r = 0; r < n; r++) EXPECT(results[r] == 0 && buffer[r][e] == (value(0, e) + value(1, e)) + value(2, e), "in-place rank %d element %zu", r, e);
    fill();  // broadcast from rank 1, in place at the root; non-roots pass no send buffer
    results = each_rank(n, true, [&](int r) { return ncclBroadcast(r == 1 ? buffer[r] : nullptr, buffer[r], count, ncclFloat32, 1, ranks.comms[r], stream_of(r)); });
    for (size_t e = 0; e < count; e++)
        for (int r = 0; r < n; r++) EXPECT(results[r] == 0 && buffer[r][e] == value(1, e), "broadcast rank %d element %zu", r, e);
    fill();  // reduce (max) to rank 2 only
    for (int r = 0; r < n; r++) recv[r][0] = -99;
    results = each_rank(n, true, [&](int r) { return ncclReduce(buffer[r], recv[r], count, ncclFloat32, ncclMax, 2, ranks.comms[r], nullptr); });
    EXPECT(results[0] == 0 && recv[2][0] == fmaxf(fmaxf(value(0, 0), value(1, 0)), value(2, 0)), "reduce to root");
    EXPECT(recv[0][0] == -99 && recv[1][0] == -99, "reduce leaves non-roots' receive buffers alone");
    fill();  // in-place all-gather: rank r's block already sits at offset r*count of its buffer
    results = each_rank(n, false, [&](int r) { return ncclAllGather(buffer[r] + r * count, buffer[r], count, ncclFloat32, ranks.comms[r], nullptr); });
    for (int r = 0; r < n; r++)
        for (int from = 0; from < n; from++)
            EXPECT(results[r] == 0 && buffer[r][from * count + 5] == value(from, from * count + 5), "all-gather rank %d block %d", r, from);
}

TEST(nccl_init_rank_threads_and_group) {
    for (bool grouped : {false, true}) {
        const int n = 3;
        ncclUniqueId id;
        EXPECT(ncclGetUniqueId(&id) == ncclSuccess, "id");
        std::vector<ncclComm_t> comms(n, nullptr);
        auto results = each_rank(n, grouped, [&](int r) {
            stub::set_current_device(r);  // NCCL takes the current device
            return ncclCommInitRank(&comms[r], n, id, r);
        });
        stub::set_current_device(0);
        for (int r = 0; r < n; r++) {
            int count = -1, device = -1, rank = -1;
            EXPECT(results[r] == ncclSuccess, "grouped=%d rank %d: %d", grouped, r, results[r]);
            EXPECT(ncclCommCount(comms[r], &count) == 0 && ncclCommCuDevice(comms[r], &device) == 0 && ncclCommUserRank(comms[r], &rank) == 0, "queries");
            EXPECT(count == n && device == r && rank == r, "rank %d: count %d device %d rank %d", r, count, device, rank);
        }
        PerRank<float> buffer(n, 4);
        for (int r = 0; r < n; r++) buffer[r][0] = (float)r + 1;
        results = each_rank(n, !grouped, [&](int r) { return ncclAllReduce(buffer[r], buffer[r], 1, ncclFloat32, ncclSum, comms[r], nullptr); });
        EXPECT(results[0] == 0 && buffer[0][0] == 6 && buffer[2][0] == 6, "all-reduce over ncclCommInitRank's communicators");
        for (ncclComm_t comm : comms) EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    }
}

TEST(nccl_duplicate_devices_and_bad_arguments) {
    std::vector<ncclComm_t> comms(2);
    const int same[] = {1, 1};
    EXPECT(ncclCommInitAll(comms.data(), 2, same) == ncclInvalidUsage && contains(ncclGetLastError(nullptr), "Duplicate GPU"), "InitAll on one device twice");
    ncclUniqueId id;
    ncclGetUniqueId(&id);
    auto results = each_rank(2, true, [&](int r) { return ncclCommInitRank(&comms[r], 2, id, r); });  // both on device 0
    EXPECT(results[0] == ncclInvalidUsage && contains(ncclGetLastError(nullptr), "Duplicate GPU"), "InitRank on one device twice: %d %s", results[0], ncclGetLastError(nullptr));
    for (ncclComm_t comm : comms) ncclCommDestroy(comm);
    EXPECT(ncclCommInitRank(&comms[0], 2, id, 2) == ncclInvalidArgument, "rank out of range");
    EXPECT(ncclCommInitAll(nullptr, 2, nullptr) == ncclInvalidArgument, "null comms");
    EXPECT(ncclAllReduce(nullptr, nullptr, 1, ncclFloat32, ncclSum, nullptr, nullptr) == ncclInvalidArgument, "null comm");
    Ranks ranks(2);
    PerRank<float> buffer(2, 8);
    results = each_rank(2, true, [&](int r) { return ncclAllReduce(buffer[r], buffer[r], 8, r == 1 ? 42 : ncclFloat32, ncclSum, ranks.comms[r], nullptr); });
    EXPECT(results[1] == ncclInvalidArgument && results[0] == ncclInvalidArgument, "bad datatype on rank 1 fails both ranks: %d %d", results[0], results[1]);
    results = each_rank(2, true, [&](int r) { return ncclAllReduce(buffer[r], buffer[r], 8, ncclFloat32, r == 0 ? 9 : ncclSum, ranks.comms[r], nullptr); });
    EXPECT(results[0] == ncclInvalidArgument && results[1] == ncclInvalidArgument, "bad op on rank 0: %d %d", results[0], results[1]);
}

TEST(nccl_bad_buffers_fail_every_rank) {
    const int n = 2;
    Ranks ranks(n);
    PerRank<float> buffer(n, 8);
    float host[8] = {};
    // Rank 1's receive buffer is host memory: its call fails at once, and rank 0's (another thread) fails with it.
    auto results = each_rank(n, false, [&](int r) { return ncclAllReduce(buffer[r], r == 1 ? host : buffer[r], 8, ncclFloat32, ncclSum, ranks.comms[r], nullptr); });
    EXPECT(results[0] == ncclInvalidArgument && results[1] == ncclInvalidArgument, "results %d %d", results[0], results[1]);
    // Too short by one element, inside a group.
    results = each_rank(n, true, [&](int r) { return ncclAllReduce(buffer[r], buffer[r], r == 0 ? 9 : 8, ncclFloat32, ncclSum, ranks.comms[r], nullptr); });
    EXPECT(results[0] == ncclInvalidArgument && contains(ncclGetLastError(nullptr), "sendbuff"), "short buffer: %d %s", results[0], ncclGetLastError(nullptr));
    // A buffer on another rank's device.
    results = each_rank(n, true, [&](int r) { return ncclAllReduce(buffer[1 - r], buffer[r], 8, ncclFloat32, ncclSum, ranks.comms[r], nullptr); });
    EXPECT(results[0] == ncclInvalidArgument && contains(ncclGetLastError(nullptr), "device"), "wrong device: %s", ncclGetLastError(nullptr));
    // The communicator still works afterwards.
    results = each_rank(n, true, [&](int r) { return ncclAllReduce(buffer[r], buffer[r], 8, ncclFloat32, ncclSum, ranks.comms[r], nullptr); });
    EXPECT(results[0] == ncclSuccess && results[1] == ncclSuccess, "after the failures: %d %d", results[0], results[1]);
}

TEST(nccl_mismatched_calls_are_invalid_usage) {
    for (bool grouped : {false, true}) {
        const int n = 3;
        Ranks ranks(n);
        PerRank<float> buffer(n, 16);
        auto results = each_rank(n, grouped, [&](int r) { return ncclAllReduce(buffer[r], buffer[r], r == 2 ? 8 : 4, ncclFloat32, ncclSum, ranks.comms[r], nullptr); });
        for (int r = 0; r < n; r++) EXPECT(results[r] == ncclInvalidUsage, "grouped=%d rank %d: %d", grouped, r, results[r]);
        if (grouped) EXPECT(contains(ncclGetLastError(nullptr), "count 8") && contains(ncclGetLastError(nullptr), "rank 2"), "%s", ncclGetLastError(nullptr));
        results = each_rank(n, grouped, [&](int r) {
            return r == 0 ? ncclBroadcast(buffer[r], buffer[r], 4, ncclFloat32, 0, ranks.comms[r], nullptr)
                          : ncclAllReduce(buffer[r], buffer[r], 4, ncclFloat32, ncclSum, ranks.comms[r], nullptr);
        });
        EXPECT(results[0] == ncclInvalidUsage && results[1] == ncclInvalidUsage, "broadcast against all-reduce: %d %d", results[0], results[1]);
    }
}

TEST(nccl_graph_capture_is_refused) {
    Ranks ranks(2);
    PerRank<float> buffer(2, 4);
    stub::set_capturing(stream_of(0), true);
    auto results = each_rank(2, true, [&](int r) { return ncclAllReduce(buffer[r], buffer[r], 4, ncclFloat32, ncclSum, ranks.comms[r], stream_of(r)); });
    stub::set_capturing(stream_of(0), false);
    EXPECT(results[0] == ncclInvalidUsage && results[1] == ncclInvalidUsage, "%d %d", results[0], results[1]);
    EXPECT(contains(ncclGetLastError(nullptr), "graph"), "%s", ncclGetLastError(nullptr));
}

TEST(nccl_missing_rank_times_out_naming_it) {
    setenv("EP_EMU_NCCL_TIMEOUT_S", "0.3", 1);
    const int n = 3;
    Ranks ranks(n);
    PerRank<float> buffer(n, 4);
    std::vector<int> results(n, -1);
    std::vector<std::string> messages(n);
    auto start = std::chrono::steady_clock::now();
    on_threads(2, [&](int r) {  // rank 2 never calls
        results[r] = ncclAllReduce(buffer[r], buffer[r], 4, ncclFloat32, ncclSum, ranks.comms[r], nullptr);
        messages[r] = ncclGetLastError(nullptr);
    });
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (int r = 0; r < 2; r++)
        EXPECT(results[r] == ncclSystemError && contains(messages[r].c_str(), "rank(s) 2 of 3 never arrived"), "rank %d: %d '%s'", r, results[r], messages[r].c_str());
    EXPECT(waited >= 0.25 && waited < 5, "waited %.2f s", waited);
    EXPECT(ncclAllReduce(buffer[2], buffer[2], 4, ncclFloat32, ncclSum, ranks.comms[2], nullptr) == ncclSystemError, "the late rank fails at once");
    ncclComm_t comm = nullptr;
    ncclUniqueId id;
    ncclGetUniqueId(&id);
    EXPECT(ncclCommInitRank(&comm, 2, id, 0) == ncclSystemError && comm == nullptr, "an initialization missing rank 1 times out too");
    unsetenv("EP_EMU_NCCL_TIMEOUT_S");
}

TEST(nccl_abort_releases_a_waiting_rank) {
    std::vector<ncclComm_t> comms(2);
    EXPECT(ncclCommInitAll(comms.data(), 2, nullptr) == ncclSuccess, "init");
    PerRank<float> buffer(2, 4);
    int result = -1;
    std::thread waiter([&] { result = ncclAllReduce(buffer[0], buffer[0], 4, ncclFloat32, ncclSum, comms[0], nullptr); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT(ncclCommAbort(comms[1]) == ncclSuccess, "abort");
    waiter.join();
    EXPECT(result == ncclRemoteError, "the waiting rank gets ncclRemoteError: %d", result);
    EXPECT(ncclCommDestroy(comms[0]) == ncclSuccess && ncclCommDestroy(nullptr) == ncclSuccess, "destroy");
}

namespace {
struct SetFirst { float* target; float value; };
void set_first(void* state) {
    auto* s = static_cast<SetFirst*>(state);
    *s->target = s->value;
}
}  // namespace

TEST(nccl_collective_runs_after_the_work_queued_before_it) {
    const int n = 3;
    Ranks ranks(n);
    PerRank<float> buffer(n, 2);
    stub::set_deferred(true);
    for (int r = 0; r < n; r++) {
        SetFirst work{buffer[r], 10.0f * (r + 1)};
        ep_emu_enqueue(stream_of(r), "set_first", set_first, &work, sizeof work);
    }
    auto results = each_rank(n, true, [&](int r) { return ncclAllReduce(buffer[r], buffer[r], 2, ncclFloat32, ncclSum, ranks.comms[r], stream_of(r)); });
    stub::set_deferred(false);
    for (int r = 0; r < n; r++) EXPECT(results[r] == 0 && buffer[r][0] == 60 && buffer[r][1] == 0, "rank %d: %g", r, buffer[r][0]);
}
