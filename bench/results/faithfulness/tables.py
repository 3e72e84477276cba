#!/usr/bin/env python3
"""Tables and SVG plots of the faithfulness sweeps from each run's points.csv (written point by point, so a
sweep stopped early is shown with the points it finished). Usage: python3 tables.py  (from this folder)."""
import csv, math, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
COLORS = {"ep": "#d62728", "eap": "#1f77b4", "eap-ig": "#2ca02c", "acdc": "#9467bd", "ep-ig": "#ff7f0e"}
NAN = float("nan")

def load(run):
    with open(os.path.join(HERE, run, "points.csv")) as f:
        return [dict(r, edges=int(r["edges"]), kl=float(r["kl"]), faithfulness=float(r["faithfulness"]),
                     seconds=float(r["seconds"]), edge_fraction=float(r["edge_fraction"]),
                     accuracy=float(r.get("accuracy") or NAN), trained=float(r.get("trained_sparsity") or NAN))
                for r in csv.DictReader(f)]

def cpr_cmd(points):
    pts = sorted({(p["edge_fraction"], p["faithfulness"]) for p in points if not math.isnan(p["faithfulness"])})
    pts = [(0.0, 0.0)] + pts + [(1.0, 1.0)]
    cpr = sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(pts, pts[1:]))
    cmd = sum((x1 - x0) * (abs(1 - y0) + abs(1 - y1)) / 2 for (x0, y0), (x1, y1) in zip(pts, pts[1:]))
    return cpr, cmd

def svg(run, points, path):
    W, H, M = 640, 520, 60
    methods = [m for m in COLORS if any(p["method"] == m for p in points)]
    xs = [math.log10(max(p["edges"], 1)) for p in points]
    x0, x1 = min(xs + [0]), max(xs + [1]) + 0.05
    kls = [math.log10(max(p["kl"], 1e-6)) for p in points]
    k0, k1 = min(kls) - 0.1, max(kls) + 0.1
    def X(e): return M + (math.log10(max(e, 1)) - x0) / (x1 - x0) * (W - 2 * M)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
           f'<text x="{W/2}" y="16" text-anchor="middle" font-size="13">{run}</text>']
    panels = [("faithfulness", 30, 230, lambda p: p["faithfulness"], -0.1, 1.1), ("log10 KL", 280, 480, lambda p: math.log10(max(p["kl"], 1e-6)), k0, k1)]
    for name, top, bottom, f, lo, hi in panels:
        def Y(v): return bottom - (v - lo) / (hi - lo) * (bottom - top)
        out.append(f'<rect x="{M}" y="{top}" width="{W-2*M}" height="{bottom-top}" fill="none" stroke="#888"/>')
        out.append(f'<text x="14" y="{(top+bottom)/2}" transform="rotate(-90 14 {(top+bottom)/2})" text-anchor="middle">{name}</text>')
        for t in [lo + (hi - lo) * i / 4 for i in range(5)]:
            out.append(f'<text x="{M-4}" y="{Y(t)+4}" text-anchor="end">{t:.2f}</text>')
        for e in [1, 3, 10, 30, 100, 300, 1000]:
            if x0 <= math.log10(e) <= x1:
                out.append(f'<line x1="{X(e)}" y1="{bottom}" x2="{X(e)}" y2="{bottom+4}" stroke="#888"/><text x="{X(e)}" y="{bottom+16}" text-anchor="middle">{e}</text>')
        for m in methods:
            pts = sorted((p for p in points if p["method"] == m), key=lambda p: p["edges"])
            line = " ".join(f"{X(p['edges']):.1f},{Y(f(p)):.1f}" for p in pts if not math.isnan(f(p)))
            out.append(f'<polyline points="{line}" fill="none" stroke="{COLORS[m]}" stroke-width="2"/>')
            for p in pts:
                if not math.isnan(f(p)): out.append(f'<circle cx="{X(p["edges"]):.1f}" cy="{Y(f(p)):.1f}" r="3" fill="{COLORS[m]}"/>')
    for i, m in enumerate(methods):
        out.append(f'<rect x="{M+10+i*90}" y="{H-22}" width="12" height="12" fill="{COLORS[m]}"/><text x="{M+26+i*90}" y="{H-12}">{m}</text>')
    out.append(f'<text x="{W-M}" y="{H-12}" text-anchor="end">kept edges (log axis)</text></svg>')
    open(path, "w").write("\n".join(out))

def same_size(pts):
    """Edge Pruning read out where each run ended: each point against EAP, EAP-IG (and ACDC) circuits of its own size."""
    print("| method | setting | edges | KL (f, acc) | eap KL | eap-ig KL | acdc KL | at or below the best baseline? |\n|---|---|---|---|---|---|---|---|")
    for m in ["ep", "ep-ig"]:
        wins = compared = 0
        for p in sorted((p for p in pts if p["method"] == m), key=lambda p: p["edges"]):
            # the baseline's circuit of that size, or asked for it (top N without dangling edges can hold a few more)
            base = {b: min((q["kl"] for q in pts if q["method"] == b and (q["edges"] == p["edges"] or q["setting"] == f"N={p['edges']}")), default=None)
                    for b in ["eap", "eap-ig", "acdc"]}
            known = [v for v in base.values() if v is not None]
            verdict = "—" if not known else ("yes" if p["kl"] <= min(known) else "no")
            compared += bool(known)
            wins += verdict == "yes"
            acc = "" if math.isnan(p["accuracy"]) else f", {p['accuracy']:.2f}"
            print(f"| {m} | {p['setting']} | {p['edges']} | {p['kl']:.4g} ({p['faithfulness']:.3f}{acc}) | " +
                  " | ".join("—" if v is None else f"{v:.4g}" for v in base.values()) + f" | {verdict} |")
        if compared: print(f"\n{m}: at or below the best baseline of the same size at {wins} of {compared} points\n")
    acdc = [p for p in pts if p["method"] == "acdc"]
    if acdc:
        print("ACDC: " + "; ".join(f"{p['setting']}: {p['edges']} edges, KL {p['kl']:.4g}, f {p['faithfulness']:.3f}" for p in acdc))
    print()

def main():
    runs = [r for r in sorted(os.listdir(HERE)) if os.path.exists(os.path.join(HERE, r, "points.csv"))]
    for run in runs:
        pts = load(run)
        svg(run, pts, os.path.join(HERE, run, "curves.svg"))
        print(f"### {run}\n")
        print("| method | CPR | CMD | points | discovery s |\n|---|---|---|---|---|")
        for m in COLORS:
            mp = [p for p in pts if p["method"] == m]
            if mp:
                cpr, cmd = cpr_cmd(mp)
                print(f"| {m} | {cpr:.3f} | {cmd:.3f} | {len(mp)} | {sum(p['seconds'] for p in mp):.0f} |")
        print()
        if any(p["method"] in ("ep", "ep-ig") and not p["setting"][2:].isdigit() for p in pts):
            same_size(pts)
            continue
        sizes = sorted({p["setting"] for p in pts if p["setting"].startswith("N=")}, key=lambda s: int(s[2:]))
        shown = [m for m in ["ep", "ep-ig", "eap", "eap-ig"] if any(p["method"] == m for p in pts)]
        trainers = [m for m in ["ep", "ep-ig"] if m in shown]
        print("| size | " + " | ".join(f"{m} KL (f)" for m in shown) + "".join(f" | {m} ≤ best attribution?" for m in trainers) + " |")
        print("|---" * (1 + len(shown) + len(trainers)) + "|")
        def cell(p):
            if not p: return "—"
            extra = "" if math.isnan(p["accuracy"]) else f", acc {p['accuracy']:.2f}"
            extra += "" if math.isnan(p["trained"]) else f", trained s {p['trained']:.3f}"
            return f"{p['kl']:.4g} ({p['faithfulness']:.3f}{extra}), {p['edges']} e"
        for s in sizes:
            cells, kl = [], {}
            for m in shown:
                p = next((p for p in pts if p["method"] == m and p["setting"] == s), None)
                cells.append(cell(p))
                if p: kl[m] = p["kl"]
            attribution = [v for k, v in kl.items() if k in ("eap", "eap-ig")]
            verdicts = ["—" if m not in kl or not attribution else ("yes" if kl[m] <= min(attribution) else "no") for m in trainers]
            print(f"| {s} | " + " | ".join(cells + verdicts) + " |")
        acdc = [p for p in pts if p["method"] == "acdc"]
        if acdc:
            print("\nACDC: " + "; ".join(f"{p['setting']}: {p['edges']} edges, KL {p['kl']:.4g}, f {p['faithfulness']:.3f}" for p in acdc))
        print()

main()
