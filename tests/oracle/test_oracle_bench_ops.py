"""bench-oracle --op: every op is timed next to mpmath and agrees with it bit for bit."""

from __future__ import annotations

from conformance.cli import main as cli_main


def main(argv):
    return cli_main(["bench-oracle", *argv])


def test_bench_every_op(capsys):
    args = [
        "--op",
        "all",
        "--n",
        "1000",
        "--mp-values",
        "200",
        "--repeat",
        "1",
        "--dtype",
        "float16",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    for op in ("log_softmax", "softmax_vjp", "cross_entropy"):
        for label in ("logits:", "wide-spread:"):
            assert f"{op} {label}" in out, out
    assert out.count("bit for bit") == 8 and out.count("values/s") == 16, out


def test_bench_one_op_and_bad_op(capsys):
    assert main(["--op", "softmax_vjp", "--n", "500", "--mp-values", "100", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert (
        out.count("bit for bit") == 2
        and "softmax_vjp logits:" in out
        and "g standard normal" in out
    )
    assert main(["--op", "tanh"]) == 2
    assert "--op" in capsys.readouterr().err
