"""What a long-running process loads at start stays out of the garbage collector's way."""

import gc


def freeze_loaded() -> None:
    """Move every object alive now to the collector's permanent generation.

    A web or worker process loads ~100k objects at start (Django, the models, the URL
    patterns, the catalogs) that live as long as it does. The collector's full passes
    scan them all, ~60 ms each on this machine, while every request that arrives waits:
    that was the acknowledgement's p99 tail (bench/README.md). Frozen, a full pass scans
    only what came after. Start-up's own garbage is collected first, not kept.
    """
    gc.collect()
    gc.freeze()
