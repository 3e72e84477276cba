/*
 * edgeprune.h: the C ABI of libedgeprune, Edge Pruning circuit discovery as a shared library.
 *
 * Every function returns a status code (EP_OK or an EP_ERR_*); on failure ep_last_error() gives a one-line
 * message for the calling thread. No exception or signal crosses this boundary. Handles are opaque and never
 * reused; using a closed one returns EP_ERR_BAD_HANDLE. Strings passed in and out are UTF-8; strings the
 * library returns belong to the caller and are released with ep_string_free.
 *
 * Versioning: ep_version() returns EP_ABI_VERSION of the library that was loaded. It changes whenever a
 * signature or meaning below changes incompatibly; check it before any other call.
 */
#ifndef EDGEPRUNE_H
#define EDGEPRUNE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EP_ABI_VERSION 1

enum ep_status {
    EP_OK = 0,
    EP_ERR_INVALID_ARGUMENT = 1, /* a NULL or malformed argument */
    EP_ERR_NOT_FOUND = 2,        /* a file that does not exist */
    EP_ERR_INVALID_INPUT = 3,    /* a corrupt or foreign file, an unknown task, option or value */
    EP_ERR_IO = 4,               /* reading or writing failed */
    EP_ERR_CANCELLED = 5,        /* the progress callback asked to stop */
    EP_ERR_UNSUPPORTED = 6,      /* a device, dtype or format this build does not offer */
    EP_ERR_OUT_OF_MEMORY = 7,
    EP_ERR_BAD_HANDLE = 8,       /* a handle that is closed or was never returned by this library */
    EP_ERR_INTERNAL = 9          /* a bug: please report the message */
};

typedef struct ep_model ep_model;     /* a loaded model */
typedef struct ep_circuit ep_circuit; /* a circuit found by ep_prune or read by ep_circuit_open */

/* Called once per training step with a JSON object
 * {"event": "step", "step": i, "steps": n, "kl": ..., "edge_sparsity": ..., "target": ..., "loss": ...}
 * valid only during the call. Return 0 to continue, anything else to cancel (ep_prune then returns
 * EP_ERR_CANCELLED). Called on the thread that called ep_prune. */
typedef int32_t (*ep_progress_fn)(void *user, const char *event_json);

int32_t ep_version(void);

/* The message of the last failed call on this thread, or NULL after a success. Valid until the next call. */
const char *ep_last_error(void);

/* Open handles plus strings not yet freed: 0 when a caller has released everything. */
int64_t ep_live_handles(void);

/* device: "cpu" (or NULL), "cuda", "cuda:N" or "auto" (a GPU for large models when one is usable); dtype:
 * "float32", "bfloat16" (GPU only) or NULL (float32; bfloat16 on a GPU for models from 1 B parameters).
 * A GPU is held by the model until ep_model_close; its prune and eval runs compute there.
 * EP_ERR_UNSUPPORTED when the device cannot be opened (the message says why) or the dtype is not offered there. */
int32_t ep_model_open(const char *path, const char *device, const char *dtype, ep_model **model);
int32_t ep_model_close(ep_model *model);

/* options_json: the options of `edgeprune prune` as a JSON object, dashes or underscores alike, e.g.
 * {"task": "tracr", "target-sparsity": 0.9, "steps": 300, "out": "runs/x"}; NULL or "{}" takes the
 * task's recipe. Without "out" checkpoints go to a temporary folder that is removed afterwards.
 * progress may be NULL. */
int32_t ep_prune(ep_model *model, const char *options_json, ep_progress_fn progress, void *user, ep_circuit **circuit);

/* options_json: {"split": "test"|"validation"|"train", "task": ..., "ablation": ..., "batch": 32} or NULL.
 * *metrics_json receives a JSON object of metric name to value (null when not finite). */
int32_t ep_eval(ep_model *model, const ep_circuit *circuit, const char *options_json, char **metrics_json);

int32_t ep_circuit_open(const char *path, ep_circuit **circuit);
/* The circuit file's JSON (format "edgeprune-circuit", schemas/circuit.schema.json). */
int32_t ep_circuit_json(const ep_circuit *circuit, char **json);
/* format: "json" (circuit.json), "mib" (the MIB benchmark's JSON) or "dot" (Graphviz). */
int32_t ep_export(const ep_circuit *circuit, const char *format, const char *path);
int32_t ep_circuit_free(ep_circuit *circuit);

void ep_string_free(char *s);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPRUNE_H */
