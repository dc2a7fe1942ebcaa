"""The benchmark command runs, reports both rates and the agreement, and checks its arguments."""

from __future__ import annotations

from conformance.cli import main as cli_main


def main(argv):
    return cli_main(["bench-oracle", *argv])


def test_bench_reports_rates_share_and_agreement(capsys):
    assert main(["--n", "3000", "--mp-values", "300", "--repeat", "1", "--dtype", "float32"]) == 0
    out = capsys.readouterr().out
    for label in ("logits:", "wide-spread:"):
        assert label in out, out
    assert out.count("values/s") == 4, out
    assert "extrapolated" in out and "sent to mpmath" in out
    assert out.count("bit for bit") == 2, out


def test_bench_rejects_bad_arguments(capsys):
    assert main(["--n", "0"]) == 2
    assert main(["--dtype", "float8"]) == 2
    assert "--n" in capsys.readouterr().err
