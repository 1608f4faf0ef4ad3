"""Throughput of the sketches in `sketchkv.sketch` against exact counters. A benchmark, not a test.

    python bench/sketch_bench.py --items 1000000 --width 1024 --depth 4 --device cpu
    python bench/sketch_bench.py --device all      # the CPU, then CUDA when there is a GPU

Items are a seeded Zipf(1.1) stream over `--universe` ids. Every number is items per second (median of `--repeat`
timed calls after one warm-up), and the ratios compare rows of the same run: against `collections.Counter` (fed from
the tensor, so `.tolist()` is included, as it would be in use) and against `torch.bincount` on the same device
(exact, but only for ids in [0, universe), which is the point of a sketch).
"""
import argparse, statistics, sys, time
from collections import Counter
from functools import partial
from pathlib import Path

import torch

try: import sketchkv
except ImportError: sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout, uninstalled
from sketchkv.core import get_device
from sketchkv.sketch import CountMinSketch, CountSketch, zipf_stream


def timed(fn, device, repeat): # a no-argument callable, its device, timed calls
    "Median seconds of `repeat` calls of `fn` after one warm-up, synchronising CUDA around each."
    fn()
    times = []
    for _ in range(repeat):
        if device.type == 'cuda': torch.cuda.synchronize(device)
        t = time.perf_counter(); fn()
        if device.type == 'cuda': torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def exact_counters(items, universe, device, repeat): # items on `device`, id range, device, timed calls
    "Seconds per update and per query for `torch.bincount` on `device` and, on the CPU, `collections.Counter`."
    counts = torch.zeros(universe, dtype=torch.float32, device=device)
    rows = {'exact torch.bincount': (timed(lambda: counts.add_(torch.bincount(items, minlength=universe)), device, repeat),
                                     timed(lambda: counts[items], device, repeat))}
    if device.type == 'cpu':
        c = Counter()
        rows['exact collections.Counter'] = (timed(lambda: c.update(items.tolist()), device, repeat),
                                             timed(lambda: list(map(c.__getitem__, items.tolist())), device, repeat))
    return rows


def bench(device, n, width, depth, universe, repeat): # device, stream length, sketch size, id range, timed calls
    "Seconds per update and per query of `n` items for each sketch and exact counter on `device`."
    items = zipf_stream(n, universe, seed=0).to(device)                          # (n,) int64
    makers = {f'CountMinSketch': CountMinSketch, 'CountMinSketch conservative': partial(CountMinSketch, conservative=True),
              'CountSketch': CountSketch}
    rows = {}
    for name, make in makers.items():
        sk = make(width, depth, seed=0, device=device)
        rows[name] = (timed(lambda: sk.update(items), device, repeat), timed(lambda: sk.query(items), device, repeat))
    return {**rows, **exact_counters(items, universe, device, repeat)}


def report(rows, n, counter_row): # {name: (update s, query s)}, items per call, the Counter timings
    "Print items/s and the ratios to Counter and to bincount."
    bc = rows['exact torch.bincount']
    print(f"{'':30s} {'update items/s':>15s} {'query items/s':>14s}   {'vs Counter (upd, qry)':>22s}   {'vs bincount (upd, qry)':>22s}")
    for name, (up, qu) in rows.items():
        vc = f"{counter_row[0] / up:8.2f}x {counter_row[1] / qu:8.2f}x" if counter_row else ''
        print(f"{name:30s} {n / up:15.3g} {n / qu:14.3g}   {vc:>22s}   {bc[0] / up:10.3f}x {bc[1] / qu:8.3f}x")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--items', type=int, default=1_000_000, help='stream length per call')
    p.add_argument('--width', type=int, default=1024)
    p.add_argument('--depth', type=int, default=4)
    p.add_argument('--universe', type=int, default=100_000, help='distinct ids in the Zipf stream')
    p.add_argument('--repeat', type=int, default=3, help='timed calls per measurement (median reported)')
    p.add_argument('--device', default='cpu', help="'cpu', 'cuda', 'all' (cpu, then cuda if present), or a list: cpu,cuda")
    a = p.parse_args(argv)
    names = ['cpu'] + (['cuda'] if torch.cuda.is_available() else []) if a.device == 'all' else a.device.split(',')
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; {a.items:,} Zipf(1.1) items over "
          f"{a.universe:,} ids; width {a.width}, depth {a.depth}; median of {a.repeat}")
    counter_row = None
    for name in names:
        dev = get_device(name)
        rows = bench(dev, a.items, a.width, a.depth, a.universe, a.repeat)
        counter_row = rows.get('exact collections.Counter', counter_row)
        print(f"\n== {dev}" + (f" ({torch.cuda.get_device_name(dev)})" if dev.type == 'cuda' else '')
              + ('' if dev.type == 'cpu' else ' (Counter ratios use the CPU Counter above)' if counter_row else ''))
        report(rows, a.items, counter_row)


if __name__ == '__main__': main()
