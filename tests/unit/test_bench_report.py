"""bench.report refuses to put runs from different CPUs side by side unless told (issue 23,
docs/BENCHMARKS.md)."""

from __future__ import annotations

import json

from bench.report import machines, main


def _run(tmp_path, name: str, cpu: str) -> str:
    result = {"db": "sqlite", "label": name, "machine": {"cpu": cpu, "cores": 2}, "reads": {}}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(result))
    return str(path)


def test_runs_of_two_cpus_are_refused_unless_asked(tmp_path, capsys, monkeypatch):
    import bench.report as module

    monkeypatch.setattr(module, "report", lambda results: "TABLES\n")
    monkeypatch.setattr(module, "targets", lambda results: "TARGETS\n")
    intel = _run(tmp_path, "a", "Intel(R) Xeon(R) Processor")
    amd = _run(tmp_path, "b", "AMD EPYC 9B14")
    assert main([intel, amd]) == 2
    err = capsys.readouterr().err
    assert "Intel(R) Xeon(R) Processor, 2 cores" in err and "AMD EPYC 9B14, 2 cores" in err
    assert main([intel, amd, "--mixed-machines"]) == 0
    out = capsys.readouterr().out
    assert "- sqlite a: Intel(R) Xeon(R) Processor, 2 cores" in out
    assert "- sqlite b: AMD EPYC 9B14, 2 cores" in out and "TABLES" in out


def test_runs_of_one_machine_print_it_once(tmp_path, capsys, monkeypatch):
    import bench.report as module

    monkeypatch.setattr(module, "report", lambda results: "")
    monkeypatch.setattr(module, "targets", lambda results: "")
    paths = [_run(tmp_path, n, "AMD EPYC 9B14") for n in ("a", "b")]
    assert main(paths) == 0
    assert capsys.readouterr().out.count("AMD EPYC 9B14") == 1
    assert machines([{"machine": {}}]) == ["?, ? cores"]
