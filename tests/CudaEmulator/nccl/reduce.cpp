// The arithmetic of a complete round, for all ranks at once. Reductions go in rank order,
// ((r0 op r1) op r2) ..., element by element, in the data type's own precision as NCCL's kernels do:
// f16/bf16 are widened to f32 for each step and rounded back (nearest even) after it; integers wrap;
// max/min of floats ignore a NaN operand (fmax/fmin). ncclAvg is NCCL's: for floating types every input is
// first multiplied by 1/nranks (rounded to the type) and the products summed; for integers the wrapped sum
// is divided by nranks (truncating toward zero). All sends of a chunk are read before any receive buffer of
// it is written, so in-place calls (sendbuff == recvbuff) work.
#include <algorithm>
#include <math.h>
#include <string.h>
#include <type_traits>

#include "../cublas/floatbits.h"
#include "nccl_internal.h"

namespace ep_nccl {
namespace {

// Storage type S, the type arithmetic happens in V, and the conversions between them.
template <class T> struct Native {
    using S = T;
    using V = T;
    static V load(S s) { return s; }
    static S store(V v) { return v; }
};
struct Half {
    using S = uint16_t;
    using V = float;
    static V load(S s) { return ep_emu::f16_to_f32(s); }
    static S store(V v) { return ep_emu::f32_to_f16(v); }
};
struct Bfloat {
    using S = uint16_t;
    using V = float;
    static V load(S s) { return ep_emu::bf16_to_f32(s); }
    static S store(V v) { return ep_emu::f32_to_bf16(v); }
};

template <class Tr> typename Tr::V round_to(typename Tr::V v) { return Tr::load(Tr::store(v)); }

template <class Tr> typename Tr::V combine(int op, typename Tr::V a, typename Tr::V b) {
    using V = typename Tr::V;
    if constexpr (std::is_integral_v<V>) {
        using U = std::make_unsigned_t<V>;
        switch (op) {
            case kProd: return (V)(U)((U)a * (U)b);
            case kMax: return std::max(a, b);
            case kMin: return std::min(a, b);
            default: return (V)(U)((U)a + (U)b);  // sum, and avg before its division
        }
    } else {
        switch (op) {
            case kProd: return round_to<Tr>(a * b);
            case kMax: return std::fmax(a, b);
            case kMin: return std::fmin(a, b);
            default: return round_to<Tr>(a + b);
        }
    }
}

template <class Tr> void reduce(Round& round, int nranks) {
    using S = typename Tr::S;
    using V = typename Tr::V;
    constexpr bool integral = std::is_integral_v<V>;
    const Post& first = round.posts[0];
    const bool avg = first.op == kAvg;
    const V scale = integral ? V(1) : round_to<Tr>(V(1) / V(nranks));
    constexpr size_t kChunk = 1024;
    V acc[kChunk];
    for (size_t start = 0; start < first.count; start += kChunk) {
        size_t length = std::min(kChunk, first.count - start);
        for (int rank = 0; rank < nranks; rank++) {
            const S* source = static_cast<const S*>(round.posts[rank].send) + start;
            for (size_t e = 0; e < length; e++) {
                V x = Tr::load(source[e]);
                if (avg && !integral) x = round_to<Tr>(x * scale);
                acc[e] = rank == 0 ? x : combine<Tr>(first.op, acc[e], x);
            }
        }
        if (avg && integral)
            for (size_t e = 0; e < length; e++) acc[e] = (V)(acc[e] / (V)nranks);
        for (int rank = 0; rank < nranks; rank++) {
            if (first.kind == Kind::kReduce && rank != first.root) continue;
            S* target = static_cast<S*>(round.posts[rank].recv) + start;
            for (size_t e = 0; e < length; e++) target[e] = Tr::store(acc[e]);
        }
    }
}

void reduce_any(Round& round, int nranks) {
    switch (round.posts[0].type) {
        case kInt8: return reduce<Native<int8_t>>(round, nranks);
        case kUint8: return reduce<Native<uint8_t>>(round, nranks);
        case kInt32: return reduce<Native<int32_t>>(round, nranks);
        case kUint32: return reduce<Native<uint32_t>>(round, nranks);
        case kInt64: return reduce<Native<int64_t>>(round, nranks);
        case kUint64: return reduce<Native<uint64_t>>(round, nranks);
        case kFloat16: return reduce<Half>(round, nranks);
        case kFloat32: return reduce<Native<float>>(round, nranks);
        case kFloat64: return reduce<Native<double>>(round, nranks);
        default: return reduce<Bfloat>(round, nranks);
    }
}

}  // namespace

void perform(Round& round, int nranks) {
    const Post& first = round.posts[0];
    const size_t bytes = first.count * type_bytes(first.type);
    if (bytes == 0) return;
    switch (first.kind) {
        case Kind::kAllReduce:
        case Kind::kReduce: return reduce_any(round, nranks);
        case Kind::kBroadcast: {
            const void* source = round.posts[first.root].send;
            for (int rank = 0; rank < nranks; rank++)
                if (round.posts[rank].recv != source) memmove(round.posts[rank].recv, source, bytes);
            return;
        }
        case Kind::kAllGather:
            // Rank i's block lands at offset i*bytes of every receive buffer; in place, a rank's own block is
            // already there (sendbuff == recvbuff + rank*bytes).
            for (int rank = 0; rank < nranks; rank++)
                for (int from = 0; from < nranks; from++) {
                    char* target = static_cast<char*>(round.posts[rank].recv) + (size_t)from * bytes;
                    if (target != round.posts[from].send) memmove(target, round.posts[from].send, bytes);
                }
            return;
        default: return;
    }
}

}  // namespace ep_nccl
