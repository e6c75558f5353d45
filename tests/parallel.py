import threading
from collections.abc import Callable

from django.db import connection


def in_parallel(work: Callable[[int], object], count: int) -> list:
    """Run work(0) … work(count - 1) in threads released at the same moment; return their results in order.

    Each thread has its own database connection, as separate gunicorn workers would."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
