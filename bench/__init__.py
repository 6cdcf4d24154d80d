"""Benchmarks of chronos-operator against Kubernetes CronJob on the local control plane.

`python -m bench run [scenario ...] [--quick]`; results land in bench/results/.
"""
