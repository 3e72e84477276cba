"""Tests of the Python package against the freshly built libedgeprune and, where given, the CLI.

Environment: EDGEPRUNE_LIB (the library), EDGEPRUNE_SHARED (models), EDGEPRUNE_CLI (a command that runs
edgeprune, e.g. "dotnet .../edgeprune.dll"); the tests that need one skip without it.
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import edgeprune  # noqa: E402
from edgeprune import Circuit, EdgePruneError, Model  # noqa: E402

SHARED = Path(os.environ.get("EDGEPRUNE_SHARED", Path(__file__).resolve().parents[3] / "shared"))
TRACR = SHARED / "models" / "tracr" / "xproportion.safetensors"
GROUND_TRUTH = SHARED / "models" / "tracr" / "xproportion.ground_truth.json"


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


class LibraryTests(unittest.TestCase):
    def test_abi_version_matches(self):
        self.assertEqual(edgeprune._native().ep_version(), edgeprune.ABI_VERSION)

    def test_missing_model_is_not_found_with_message(self):
        with self.assertRaises(EdgePruneError) as caught:
            Model.open("/no/such/model.safetensors")
        self.assertEqual(caught.exception.code, "not_found")
        self.assertIn("/no/such/model.safetensors", str(caught.exception))
        self.assertEqual(edgeprune.live_handles(), 0)

    def test_unsupported_device_is_refused(self):
        with self.assertRaises(EdgePruneError) as caught:
            Model.open(TRACR, device="tpu")
        self.assertEqual(caught.exception.code, "unsupported")

    def test_bad_handle_is_reported_not_crashed(self):
        lib = edgeprune._native()
        self.assertEqual(lib.ep_model_close(0xdead0), 8)
        self.assertIn("not open", lib.ep_last_error().decode())


@unittest.skipUnless(TRACR.exists(), f"needs {TRACR}")
class TracrTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = Model.open(TRACR)
        cls.circuit = cls.model.prune(task="tracr")

    @classmethod
    def tearDownClass(cls):
        cls.circuit.close()
        cls.model.close()

    def test_prune_finds_the_ground_truth_circuit(self):
        truth = json.loads(GROUND_TRUTH.read_text())["ground_truth_edges"]
        self.assertEqual(sorted(e.name for e in self.circuit.edges), sorted(truth))
        self.assertEqual(self.circuit.total_edges, 32)
        self.assertEqual(self.circuit.metrics["scalar_error"], 0)

    def test_eval_is_exact(self):
        metrics = self.model.eval(self.circuit)
        self.assertEqual(metrics["scalar_error"], 0)
        self.assertEqual(metrics["kl"], 0)

    def test_to_mib_lists_edges(self):
        mib = self.circuit.to_mib()
        self.assertIn("edges", mib)
        self.assertTrue(any(v["in_graph"] for v in mib["edges"].values()))

    def test_save_and_open_round_trip(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "circuit.json"
            self.circuit.save(path)
            with Circuit.open(path) as again:
                self.assertEqual([e.name for e in again.edges], [e.name for e in self.circuit.edges])

    def test_progress_reports_every_step_and_can_cancel(self):
        seen = []

        def stop_at_five(event):
            seen.append(event)
            return event["step"] >= 5

        with self.assertRaises(EdgePruneError) as caught:
            self.model.prune(task="tracr", progress=stop_at_five)
        self.assertEqual(caught.exception.code, "cancelled")
        self.assertEqual([e["step"] for e in seen], [1, 2, 3, 4, 5])
        self.assertEqual(seen[0]["steps"], 720)

    def test_exception_in_progress_is_raised_after_the_run_stops(self):
        def boom(_event):
            raise KeyError("from the callback")

        with self.assertRaises(KeyError):
            self.model.prune(task="tracr", progress=boom)

    def test_unknown_option_is_invalid_input(self):
        with self.assertRaises(EdgePruneError) as caught:
            self.model.prune(task="tracr", stepz=3)
        self.assertEqual(caught.exception.code, "invalid_input")
        self.assertIn("stepz", str(caught.exception))

    @unittest.skipUnless(os.environ.get("EDGEPRUNE_CLI"), "EDGEPRUNE_CLI not set")
    def test_same_circuit_as_the_cli(self):
        with tempfile.TemporaryDirectory() as tmp:
            command = shlex.split(os.environ["EDGEPRUNE_CLI"]) + ["prune", "--model", str(TRACR), "--out", tmp, "--json"]
            run = subprocess.run(command, capture_output=True, text=True, check=False)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            cli = json.loads(run.stdout)
        self.assertEqual([e["name"] for e in cli["edges"]], [e.name for e in self.circuit.edges])
        for cli_edge, edge in zip(cli["edges"], self.circuit.edges):
            self.assertAlmostEqual(cli_edge["mask"], edge.mask, places=6)
        self.assertEqual(cli["metrics"], self.circuit.metrics)


@unittest.skipUnless(TRACR.exists(), f"needs {TRACR}")
class LeakTests(unittest.TestCase):
    CYCLES = 1000

    def test_thousand_open_close_cycles_leave_nothing_behind(self):
        for _ in range(50):  # warm-up: the runtime's own caches and heap reach their size
            Model.open(TRACR).close()
        before = rss_kib()
        for i in range(self.CYCLES):
            model = Model.open(TRACR)
            model.close()
            try:
                Model.open("/no/such/model.bin")
            except EdgePruneError:
                pass
        grown = rss_kib() - before
        self.assertEqual(edgeprune.live_handles(), 0)
        print(f"\nRSS after {self.CYCLES} open/close cycles: {grown:+d} KiB", file=sys.stderr)
        self.assertLess(grown, 32 * 1024, f"RSS grew by {grown} KiB over {self.CYCLES} cycles")


if __name__ == "__main__":
    unittest.main()


if os.environ.get("EDGEPRUNE_TEST_CUDA") == "1" and TRACR.exists():
    class CudaTests(unittest.TestCase):
        """Runs on a GPU (or the CUDA emulator the test suite points the library at): the CPU's circuit and metrics."""

        def test_prune_and_eval_on_cuda_give_the_cpu_results(self):
            options = {"steps": 80, "sparsity_warmup": 40, "lr_warmup": 10, "lambda_lr": 0.05, "seed": 1}
            with Model.open(TRACR, device="cuda", dtype="float32") as gpu, Model.open(TRACR) as cpu:
                with gpu.prune(task="tracr", **options) as on_gpu, cpu.prune(task="tracr", **options) as on_cpu:
                    self.assertEqual(on_gpu.document["device"], "cuda:0")
                    self.assertEqual(on_cpu.document["device"], "cpu")
                    self.assertEqual([e.name for e in on_gpu.edges], [e.name for e in on_cpu.edges])
                    self.assertLess(len(on_cpu.edges), on_cpu.total_edges, "the run pruned nothing: nothing to compare")
                    gpu_metrics, cpu_metrics = gpu.eval(on_cpu), cpu.eval(on_cpu)
                    self.assertEqual(gpu_metrics.keys(), cpu_metrics.keys())
                    for name, value in cpu_metrics.items():
                        self.assertAlmostEqual(gpu_metrics[name], value, delta=1e-5 * max(1.0, abs(value)), msg=name)

        def test_bfloat16_is_refused_on_the_cpu(self):
            with self.assertRaises(EdgePruneError) as caught:
                Model.open(TRACR, device="cpu", dtype="bfloat16")
            self.assertEqual(caught.exception.code, "unsupported")

