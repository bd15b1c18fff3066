"""Render docs/results/*.json (written by scripts/ship_model.sh) as the Markdown tables of docs/RESULTS.md."""
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results"
DATASETS = ("qalb14-test", "qalb14-dev", "qalb15-dev", "zaebuc-dev")


def pct(x, digits: int = 1):
    return "–" if x is None else f"{100 * x:.{digits}f}"


def quality_rows(strict: bool = False) -> list[str]:
    rows = ["| data | P | R | F0.5 (with punct.) | P | R | F0.5 (no punct.) | command |",
            "|---|---:|---:|---:|---:|---:|---:|---|"]
    flag = " --strict" if strict else ""
    for name in DATASETS:
        path = RESULTS / f"quality-{'strict-' if strict else ''}{name}.json"
        if path.exists():
            r = json.loads(path.read_text())
            w, n = r["with_punct"], r["no_punct"]
            rows.append(f"| {name} ({r['sentences']} docs) | {pct(w['precision'])} | {pct(w['recall'])} | "
                        f"**{pct(w['f0.5'], 2)}** | {pct(n['precision'])} | {pct(n['recall'])} | **{pct(n['f0.5'], 2)}** | "
                        f"`nahawi bench quality --dataset {name}{flag}` |")
    return rows


def kind_rows(name: str = "qalb14-test") -> list[str]:
    r = json.loads((RESULTS / f"quality-{name}.json").read_text())
    rows = [f"| kind ({name}) | gold | recall | proposed | precision |", "|---|---:|---:|---:|---:|"]
    rows += [f"| {k['kind']} | {k['gold']} | {pct(k['recall'])} | {k['proposed']} | {pct(k['precision'])} |"
             for k in r["kinds"]]
    return rows


def false_alarm_rows() -> list[str]:
    rows = ["| correct text fed as input | policy | words | edits | edited words per 1,000 words | by kind | command |",
            "|---|---|---:|---:|---:|---|---|"]
    for path in sorted(RESULTS.glob("false-alarms-*.json")):
        r = json.loads(path.read_text())
        policy = r.get("policy", "default")
        kinds = ", ".join(f"{k} {v}" for k, v in r["by_kind"].items())
        flag = " --strict" if policy == "strict" else ""
        rows.append(f"| {r['dataset']} corrected side | {policy} | {r['words']} | {r['edits']} | "
                    f"**{r['per_1000_words']}** | {kinds} | `nahawi bench false-alarms --dataset {r['dataset']}{flag}` |")
    return rows


if __name__ == "__main__":
    table = {"quality": quality_rows, "quality-strict": lambda: quality_rows(strict=True), "kinds": kind_rows,
             "false-alarms": false_alarm_rows}[sys.argv[1]]
    print("\n".join(table()))
