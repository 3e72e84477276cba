/*
 * forward.c: a plain C forward pass of a llama2.c-format checkpoint (version-0 export), used as the
 * speed baseline for the C# engine. One token at a time with a KV cache: RMSNorm, RoPE on adjacent
 * pairs, grouped-query attention, SwiGLU MLP, classifier shared with the token embedding (or
 * unshared when the header's vocab_size is negative). Matrix-vector products are split over output
 * rows with OpenMP; nothing else is parallel or hand-vectorized.
 *
 *   forward gen   OUT.bin [seed [dim hidden layers heads kv_heads vocab seq_len]]
 *                                      random weights in llama2.c format, stories15M shape by default
 *   forward bench MODEL.bin STEPS      greedy decode from BOS: tokens/s (median of 5), first 16 ids
 *   forward check MODEL.bin            first 8 logits at position 0 (input BOS)
 *   forward ids   MODEL.bin N          the first N greedy ids from BOS, one line
 *
 * The random weights come from splitmix64 mapped to uniform floats in [-0.05, 0.05); the C# bench's
 * Llama2cRandomWriter uses the same generator, so both write the same bytes for the same seed.
 */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BOS 1
#define PREFILL_TOKENS 64
#define RUNS 5

typedef struct {
    int dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
} Config;

typedef struct {
    float *tok_embeddings; /* [vocab, dim] */
    float *rms_att;        /* [L, dim] */
    float *wq;             /* [L, dim, dim] */
    float *wk;             /* [L, kv_dim, dim] */
    float *wv;             /* [L, kv_dim, dim] */
    float *wo;             /* [L, dim, dim] */
    float *rms_ffn;        /* [L, dim] */
    float *w1;             /* [L, hidden, dim] */
    float *w2;             /* [L, dim, hidden] */
    float *w3;             /* [L, hidden, dim] */
    float *rms_final;      /* [dim] */
    float *wcls;           /* [vocab, dim] */
} Weights;

typedef struct {
    float *x, *xb, *xb2, *hb, *hb2, *q, *att, *logits;
    float *key_cache, *value_cache; /* [L, seq_len, kv_dim] */
} State;

typedef struct {
    Config c;
    Weights w;
    State s;
    float *data;
} Model;

static void die(const char *msg, const char *arg) {
    fprintf(stderr, "forward: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(1);
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (!p) die("out of memory", NULL);
    return p;
}

/* ---------------------------------------------------------------- random weights */

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [-0.05, 0.05): 24 random bits give an exact float in [0,1); u*2 is exact, so the result
   is the same with or without contraction into an FMA. */
static float uniform_weight(uint64_t *state) {
    float u = (float)(splitmix64(state) >> 40) * (1.0f / 16777216.0f);
    return (u * 2.0f - 1.0f) * 0.05f;
}

static void write_random(FILE *f, size_t n, uint64_t *rng) {
    float buf[4096];
    while (n > 0) {
        size_t m = n < 4096 ? n : 4096;
        for (size_t i = 0; i < m; i++) buf[i] = uniform_weight(rng);
        if (fwrite(buf, sizeof(float), m, f) != m) die("write failed", NULL);
        n -= m;
    }
}

static void write_constant(FILE *f, size_t n, float v) {
    for (size_t i = 0; i < n; i++)
        if (fwrite(&v, sizeof(float), 1, f) != 1) die("write failed", NULL);
}

static int cmd_gen(const char *path, uint64_t seed, Config c) {
    int head_size = c.dim / c.n_heads, kv_dim = c.n_kv_heads * head_size;
    size_t L = (size_t)c.n_layers, d = (size_t)c.dim, h = (size_t)c.hidden_dim;
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot create", path);
    if (fwrite(&c, sizeof(int), 7, f) != 7) die("write failed", path);
    uint64_t rng = seed;
    write_random(f, (size_t)c.vocab_size * d, &rng); /* tok_embeddings */
    write_constant(f, L * d, 1.0f);                  /* rms_att */
    write_random(f, L * d * d, &rng);                /* wq */
    write_random(f, L * kv_dim * d, &rng);           /* wk */
    write_random(f, L * kv_dim * d, &rng);           /* wv */
    write_random(f, L * d * d, &rng);                /* wo */
    write_constant(f, L * d, 1.0f);                  /* rms_ffn */
    write_random(f, L * h * d, &rng);                /* w1 */
    write_random(f, L * d * h, &rng);                /* w2 */
    write_random(f, L * h * d, &rng);                /* w3 */
    write_constant(f, d, 1.0f);                      /* rms_final */
    /* freq_cis_real / freq_cis_imag: unused by the forward, written as in the export for completeness */
    for (int part = 0; part < 2; part++)
        for (int p = 0; p < c.seq_len; p++)
            for (int i = 0; i < head_size / 2; i++) {
                double freq = pow(10000.0, -(double)(2 * i) / head_size);
                float v = (float)(part == 0 ? cos(p * freq) : sin(p * freq));
                if (fwrite(&v, sizeof(float), 1, f) != 1) die("write failed", path);
            }
    if (fclose(f) != 0) die("write failed", path);
    printf("wrote %s (dim %d, hidden %d, layers %d, heads %d, kv heads %d, vocab %d, seq_len %d, seed %llu)\n",
           path, c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len,
           (unsigned long long)seed);
    return 0;
}

/* ---------------------------------------------------------------- loading */

static void load(Model *m, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open", path);
    int header[7];
    if (fread(header, sizeof(int), 7, f) != 7) die("too short for a llama2.c header", path);
    Config *c = &m->c;
    memcpy(c, header, sizeof header);
    int shared = c->vocab_size > 0;
    c->vocab_size = abs(c->vocab_size);
    if (c->dim <= 0 || c->n_heads <= 0 || c->n_kv_heads <= 0 || c->dim % c->n_heads != 0 ||
        c->n_heads % c->n_kv_heads != 0 || c->n_layers <= 0 || c->seq_len <= 0 || c->hidden_dim <= 0)
        die("implausible header", path);
    int head_size = c->dim / c->n_heads;
    size_t L = c->n_layers, d = c->dim, h = c->hidden_dim, kv = (size_t)c->n_kv_heads * head_size;
    size_t V = c->vocab_size;
    size_t count = V * d + L * d + L * d * d + 2 * L * kv * d + L * d * d + L * d + 3 * L * h * d + d +
                   (size_t)c->seq_len * head_size + (shared ? 0 : V * d);
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    if ((size_t)bytes != 7 * sizeof(int) + count * sizeof(float)) die("size does not match the header", path);
    fseek(f, 7 * sizeof(int), SEEK_SET);
    m->data = xcalloc(count, sizeof(float));
    if (fread(m->data, sizeof(float), count, f) != count) die("read failed", path);
    fclose(f);

    float *p = m->data;
    Weights *w = &m->w;
    w->tok_embeddings = p; p += V * d;
    w->rms_att = p;        p += L * d;
    w->wq = p;             p += L * d * d;
    w->wk = p;             p += L * kv * d;
    w->wv = p;             p += L * kv * d;
    w->wo = p;             p += L * d * d;
    w->rms_ffn = p;        p += L * d;
    w->w1 = p;             p += L * h * d;
    w->w2 = p;             p += L * d * h;
    w->w3 = p;             p += L * h * d;
    w->rms_final = p;      p += d;
    p += (size_t)c->seq_len * head_size; /* freq_cis_real, freq_cis_imag */
    w->wcls = shared ? w->tok_embeddings : p;

    State *s = &m->s;
    s->x = xcalloc(d, sizeof(float));
    s->xb = xcalloc(d, sizeof(float));
    s->xb2 = xcalloc(d, sizeof(float));
    s->hb = xcalloc(h, sizeof(float));
    s->hb2 = xcalloc(h, sizeof(float));
    s->q = xcalloc(d, sizeof(float));
    s->att = xcalloc((size_t)c->n_heads * c->seq_len, sizeof(float));
    s->logits = xcalloc(V, sizeof(float));
    s->key_cache = xcalloc(L * c->seq_len * kv, sizeof(float));
    s->value_cache = xcalloc(L * c->seq_len * kv, sizeof(float));
}

/* ---------------------------------------------------------------- forward */

static void rmsnorm(float *out, const float *x, const float *weight, int n) {
    float ss = 0.0f;
    for (int i = 0; i < n; i++) ss += x[i] * x[i];
    float inv = 1.0f / sqrtf(ss / n + 1e-5f);
    for (int i = 0; i < n; i++) out[i] = weight[i] * (inv * x[i]);
}

/* out[rows] = W[rows, cols] · x[cols] */
static void matvec(float *out, const float *x, const float *w, int rows, int cols) {
    int i;
#pragma omp parallel for private(i)
    for (i = 0; i < rows; i++) {
        const float *row = w + (size_t)i * cols;
        float sum = 0.0f;
        for (int j = 0; j < cols; j++) sum += row[j] * x[j];
        out[i] = sum;
    }
}

static void softmax(float *x, int n) {
    float max = x[0];
    for (int i = 1; i < n; i++) if (x[i] > max) max = x[i];
    float sum = 0.0f;
    for (int i = 0; i < n; i++) { x[i] = expf(x[i] - max); sum += x[i]; }
    for (int i = 0; i < n; i++) x[i] /= sum;
}

/* Runs one token at position pos and leaves the logits in s->logits (only when with_logits). */
static void forward(Model *m, int token, int pos, int with_logits) {
    const Config *c = &m->c;
    const Weights *w = &m->w;
    State *s = &m->s;
    int d = c->dim, hd = c->hidden_dim, head_size = d / c->n_heads;
    int kv_dim = c->n_kv_heads * head_size, group = c->n_heads / c->n_kv_heads;

    memcpy(s->x, w->tok_embeddings + (size_t)token * d, d * sizeof(float));

    for (int l = 0; l < c->n_layers; l++) {
        rmsnorm(s->xb, s->x, w->rms_att + (size_t)l * d, d);

        size_t cache_off = ((size_t)l * c->seq_len + pos) * kv_dim;
        float *k = s->key_cache + cache_off, *v = s->value_cache + cache_off;
        matvec(s->q, s->xb, w->wq + (size_t)l * d * d, d, d);
        matvec(k, s->xb, w->wk + (size_t)l * kv_dim * d, kv_dim, d);
        matvec(v, s->xb, w->wv + (size_t)l * kv_dim * d, kv_dim, d);

        /* RoPE: rotate pairs (i, i+1) by pos * 10000^(-(i mod head_size)/head_size) */
        for (int i = 0; i < d; i += 2) {
            float freq = 1.0f / powf(10000.0f, (float)(i % head_size) / (float)head_size);
            float angle = pos * freq, fc = cosf(angle), fs = sinf(angle);
            float q0 = s->q[i], q1 = s->q[i + 1];
            s->q[i] = q0 * fc - q1 * fs;
            s->q[i + 1] = q0 * fs + q1 * fc;
            if (i < kv_dim) {
                float k0 = k[i], k1 = k[i + 1];
                k[i] = k0 * fc - k1 * fs;
                k[i + 1] = k0 * fs + k1 * fc;
            }
        }

        /* attention over positions 0..pos, query head h reading kv head h / group */
        const float *keys = s->key_cache + (size_t)l * c->seq_len * kv_dim;
        const float *values = s->value_cache + (size_t)l * c->seq_len * kv_dim;
        float scale = 1.0f / sqrtf((float)head_size);
        int h;
#pragma omp parallel for private(h)
        for (h = 0; h < c->n_heads; h++) {
            const float *q = s->q + h * head_size;
            float *att = s->att + (size_t)h * c->seq_len;
            int kvh = h / group;
            for (int t = 0; t <= pos; t++) {
                const float *kt = keys + (size_t)t * kv_dim + kvh * head_size;
                float score = 0.0f;
                for (int i = 0; i < head_size; i++) score += q[i] * kt[i];
                att[t] = score * scale;
            }
            softmax(att, pos + 1);
            float *out = s->xb + h * head_size;
            memset(out, 0, head_size * sizeof(float));
            for (int t = 0; t <= pos; t++) {
                const float *vt = values + (size_t)t * kv_dim + kvh * head_size;
                for (int i = 0; i < head_size; i++) out[i] += att[t] * vt[i];
            }
        }

        matvec(s->xb2, s->xb, w->wo + (size_t)l * d * d, d, d);
        for (int i = 0; i < d; i++) s->x[i] += s->xb2[i];

        rmsnorm(s->xb, s->x, w->rms_ffn + (size_t)l * d, d);
        matvec(s->hb, s->xb, w->w1 + (size_t)l * hd * d, hd, d);
        matvec(s->hb2, s->xb, w->w3 + (size_t)l * hd * d, hd, d);
        for (int i = 0; i < hd; i++) {
            float g = s->hb[i];
            s->hb[i] = g / (1.0f + expf(-g)) * s->hb2[i];
        }
        matvec(s->xb, s->hb, w->w2 + (size_t)l * d * hd, d, hd);
        for (int i = 0; i < d; i++) s->x[i] += s->xb[i];
    }

    if (!with_logits) return;
    rmsnorm(s->x, s->x, w->rms_final, d);
    matvec(s->logits, s->x, w->wcls, c->vocab_size, d);
}

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}

/* ---------------------------------------------------------------- commands */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process: a one-thread rate that a shared machine's descheduling does not dilute. */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof(double), compare_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Greedy decode of `steps` tokens from BOS; the cache is simply overwritten from position 0. */
static double greedy_cpu; /* CPU seconds of the last greedy() */
static double greedy(Model *m, int steps, int *ids) {
    double c0 = cpu_seconds();
    double t0 = now_seconds();
    int token = BOS;
    for (int pos = 0; pos < steps; pos++) {
        forward(m, token, pos, 1);
        token = argmax(m->s.logits, m->c.vocab_size);
        if (ids) ids[pos] = token;
    }
    greedy_cpu = cpu_seconds() - c0;
    return now_seconds() - t0;
}

/* The fixed 64-token prompt shared with the C# bench: BOS, then (7919·i + 13) mod vocab. */
static int prompt_token(int i, int vocab) { return i == 0 ? BOS : (int)((7919L * i + 13) % vocab); }

static double prefill(Model *m, int n) {
    double t0 = now_seconds();
    for (int pos = 0; pos < n; pos++) forward(m, prompt_token(pos, m->c.vocab_size), pos, pos == n - 1);
    return now_seconds() - t0;
}

static int cmd_bench(const char *path, int steps) {
    Model m;
    load(&m, path);
    if (steps <= 0 || steps > m.c.seq_len) die("STEPS must be in 1..seq_len", NULL);
    int *ids = xcalloc(steps, sizeof(int));
    double times[RUNS], cpu[RUNS];

    greedy(&m, steps, NULL); /* warm-up */
    for (int r = 0; r < RUNS; r++) { times[r] = greedy(&m, steps, ids); cpu[r] = greedy_cpu; }
    double decode_tps = steps / median(times, RUNS);
    double decode_cpu_tps = steps / median(cpu, RUNS);

    int n = PREFILL_TOKENS < m.c.seq_len ? PREFILL_TOKENS : m.c.seq_len;
    prefill(&m, n);
    for (int r = 0; r < RUNS; r++) times[r] = prefill(&m, n);
    double prefill_tps = n / median(times, RUNS);

    printf("model: %s (dim %d, hidden %d, layers %d, heads %d, kv heads %d, vocab %d)\n", path, m.c.dim,
           m.c.hidden_dim, m.c.n_layers, m.c.n_heads, m.c.n_kv_heads, m.c.vocab_size);
    printf("threads: %d\n", omp_get_max_threads());
    printf("decode_tokens_per_s: %.2f (median of %d runs of %d tokens)\n", decode_tps, RUNS, steps);
    printf("decode_tokens_per_cpu_s: %.2f (median of %d runs of %d tokens, process CPU time)\n", decode_cpu_tps, RUNS, steps);
    printf("prefill_tokens_per_s: %.2f (median of %d runs of a %d-token prompt)\n", prefill_tps, RUNS, n);
    printf("greedy_ids:");
    for (int i = 0; i < steps && i < 16; i++) printf(" %d", ids[i]);
    printf("\nprompt_last_logits_first8:");
    for (int i = 0; i < 8 && i < m.c.vocab_size; i++) printf(" %.5f", m.s.logits[i]);
    printf("\nprompt_last_argmax: %d\n", argmax(m.s.logits, m.c.vocab_size));
    return 0;
}

static int cmd_check(const char *path) {
    Model m;
    load(&m, path);
    forward(&m, BOS, 0, 1);
    printf("logits_pos0_first8:");
    for (int i = 0; i < 8 && i < m.c.vocab_size; i++) printf(" %.5f", m.s.logits[i]);
    printf("\nargmax: %d\n", argmax(m.s.logits, m.c.vocab_size));
    return 0;
}

static int cmd_ids(const char *path, int n) {
    Model m;
    load(&m, path);
    if (n <= 0 || n > m.c.seq_len) die("N must be in 1..seq_len", NULL);
    int *ids = xcalloc(n, sizeof(int));
    greedy(&m, n, ids);
    for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "gen") == 0) {
        Config c = {288, 768, 6, 6, 6, 32000, 256}; /* stories15M */
        if (argc >= 11) c = (Config){atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), atoi(argv[7]), atoi(argv[8]), atoi(argv[9]), atoi(argv[10])};
        if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.vocab_size <= 0 ||
            c.seq_len <= 0 || c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0)
            die("gen: implausible shape", NULL);
        return cmd_gen(argv[2], argc >= 4 ? strtoull(argv[3], NULL, 10) : 42, c);
    }
    if (argc >= 4 && strcmp(argv[1], "bench") == 0) return cmd_bench(argv[2], atoi(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "check") == 0) return cmd_check(argv[2]);
    if (argc >= 4 && strcmp(argv[1], "ids") == 0) return cmd_ids(argv[2], atoi(argv[3]));
    fprintf(stderr,
            "usage: forward gen OUT.bin [seed [dim hidden layers heads kv_heads vocab seq_len]]\n"
            "       forward bench MODEL.bin STEPS\n"
            "       forward check MODEL.bin\n"
            "       forward ids MODEL.bin N\n");
    return 2;
}
