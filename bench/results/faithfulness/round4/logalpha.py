"""log α of named edges across checkpoints: python3 logalpha.py CIRCUIT.json 'ck-*.bin' EDGE [EDGE ...]
CIRCUIT.json (any circuit file of the same model) names the edges in checkpoint order; each checkpoint is a copy of a run's
checkpoint.bin (prune --checkpoint-every N, copied as it changes). Prints one CSV row per checkpoint step."""
import glob, json, struct, sys

names = [e["edge"] for e in json.load(open(sys.argv[1]))["edges"]]
watch = sys.argv[3:]
index = [names.index(w) for w in watch]


def edge_log_alpha(path):
    data = open(path, "rb").read()
    _magic, _version, step, _edges, _writers = struct.unpack("<Ii3i", data[:20])
    n = struct.unpack("<i", data[20:24])[0]  # the first array: the edge log α
    return step, struct.unpack(f"<{n}f", data[24:24 + 4 * n])


print("step," + ",".join(watch))
for step, a in sorted(edge_log_alpha(p) for p in glob.glob(sys.argv[2])):
    print(f"{step}," + ",".join(f"{a[i]:.2f}" for i in index))
