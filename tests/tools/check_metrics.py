#!/usr/bin/python3
"""Checks a Prometheus text exposition with Prometheus's own Python client parser.

  check_metrics.py FILE     exit 0 and print the family count, or exit 1 and say what is wrong

Beyond parsing: every family has a type, no sample repeats, and every histogram has cumulative
buckets ending in +Inf equal to its _count.
"""
import sys

from prometheus_client.parser import text_string_to_metric_families


def check(text):
    problems = []
    families = list(text_string_to_metric_families(text))
    seen = set()
    for family in families:
        if family.type not in ("counter", "gauge", "histogram", "summary", "untyped"):
            problems.append(f"{family.name}: type {family.type}")
        if family.type == "unknown" or family.type == "untyped":
            problems.append(f"{family.name}: no # TYPE line")
        series = {}
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            if key in seen:
                problems.append(f"{sample.name}{sample.labels}: repeated")
            seen.add(key)
            if family.type == "histogram":
                labels = {k: v for k, v in sample.labels.items() if k != "le"}
                entry = series.setdefault(tuple(sorted(labels.items())), {"buckets": []})
                if sample.name.endswith("_bucket"):
                    entry["buckets"].append((float(sample.labels["le"]), sample.value))
                elif sample.name.endswith("_count"):
                    entry["count"] = sample.value
        for labels, entry in series.items():
            buckets = sorted(entry["buckets"])
            values = [v for _, v in buckets]
            if values != sorted(values):
                problems.append(f"{family.name}{dict(labels)}: buckets not cumulative")
            if not buckets or buckets[-1][0] != float("inf"):
                problems.append(f"{family.name}{dict(labels)}: no +Inf bucket")
            elif buckets[-1][1] != entry.get("count"):
                problems.append(f"{family.name}{dict(labels)}: +Inf is not _count")
    return families, problems


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        families, problems = check(text)
    except Exception as e:  # the parser's own refusal
        print(f"unparseable: {e}")
        return 1
    if problems:
        print("\n".join(problems))
        return 1
    print(f"{len(families)} families")
    return 0


if __name__ == "__main__":
    sys.exit(main())
