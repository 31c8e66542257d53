"""Parts of the fleet benchmark (benchmarks/bench_fleet.py): agents, peer, runs, report."""
