"""One module per benchmark scenario; each has TITLE and run(cluster, quick) -> (data, markdown)."""
