"""The baseline the bench prints: our cycle against stock django-scim2's, as numbers and a ratio."""

from bench import report
from bench.client import Record
from bench.server import Cpu


def test_the_baseline_rows_give_each_apps_rate_p95_cpu_unexpected_errors_and_boot_cpu_and_the_ratio():
    ours, stock = Record(), Record()
    for ms in range(1, 101):
        ours.add("user create", ms / 1000, 201)
        stock.add("user create", 0.010, 201)
    ours.add("user create", 0.101, 409)  # a retried create: expected in a cycle
    stock.add("user update", 0.010, 501)  # a refusal: not

    text = report.baseline_table(
        report.totals(
            ours, Cpu(wall=0.505, workers=0.606, postgres=0.202, client=0, machine=1.01, cores=2), [0.9, 1.0]
        ),
        report.totals(
            stock,
            Cpu(wall=1.01, workers=0.303, postgres=0.101, client=0, machine=0.404, cores=2),
            [0.15, 0.15],
        ),
    )

    assert text.split("\n\n")[1:] == [
        "| app | requests | requests/s | p95 ms | worker CPU ms/request | PostgreSQL CPU ms/request "
        "| unexpected errors | cores taken by other processes |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        "| this project | 101 | 200 | 96.0 | 6.0 | 2.0 | 0 | 20% |\n"
        "| stock django-scim2 | 101 | 100 | 10.0 | 3.0 | 1.0 | 1 | 0% |",
        "Ours ÷ stock: **2.00×** the requests per second (target ≥ 2×: met); p95 96.0 ms against stock's "
        "10.0, **9.60×** (target ≤ 0.5: **missed**); worker CPU per request 6.0 ms against 3.0 ms (2.0×).  \n"
        "Worker boot CPU: ours 0.95 s, stock 0.15 s (a worker's on average, from fork until it could serve; "
        "not in the CPU per request).",
    ]
