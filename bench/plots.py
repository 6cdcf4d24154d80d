"""PNG plots: lag distributions (empirical CDF) and lag over time, per series."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def lag_plots(
    path: Path,
    title: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
) -> None:
    """Left: the share of runs seen within a given lag (log x); right: each run's lag against
    its scheduled time. `series` maps a label to (scheduled epoch, lag seconds) pairs."""
    fig, (cdf, over) = plt.subplots(1, 2, figsize=(12, 4.2))
    for label, points in series.items():
        if not points:
            continue
        lags = sorted(max(lag, 1e-3) for _, lag in points)
        n = len(lags)
        cdf.step(lags, [(i + 1) / n for i in range(n)], where="post", label=f"{label} (n={n})")
        t0 = min(t for t, _ in points)
        over.scatter([t - t0 for t, _ in points], [lag for _, lag in points], s=3, alpha=0.5, label=label)
    cdf.set_xscale("log")
    cdf.set_xlabel("lag: Job seen − scheduled time (s, log scale)")
    cdf.set_ylabel("share of runs")
    cdf.grid(True, which="both", alpha=0.3)
    cdf.legend(fontsize=8)
    over.set_xlabel("scheduled time (s since the first run)")
    over.set_ylabel("lag (s)")
    over.grid(True, alpha=0.3)
    over.legend(fontsize=8, markerscale=4)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
