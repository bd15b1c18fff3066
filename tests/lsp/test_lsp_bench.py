"""`nahawi bench lsp` drives the real server over stdio, with the shipped policy or the learner one."""
from lsp_server.bench import run_lsp_benchmark


def test_the_lsp_benchmark_runs_the_server_with_the_policy_asked_for():
    default = run_lsp_benchmark(None, words=300, edits=3)
    learner = run_lsp_benchmark(None, words=300, edits=3, learner=True)
    # as the server reports it: the policy its engine corrects with, and whether that runs the seq2seq
    assert (default["policy"], default["seq2seq"]) == ("default", False)
    assert (learner["policy"], learner["seq2seq"]) == ("learner", True)
    for result in (default, learner):
        assert result["edits"] == 3 and result["edit_p95_ms"] >= result["edit_p50_ms"] > 0
        assert result["diagnostics_first_check"] > 0
    # the learner policy keeps every corpus edit and adds the seq2seq's where they make none
    assert learner["diagnostics_first_check"] >= default["diagnostics_first_check"]
