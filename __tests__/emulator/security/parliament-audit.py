"""Runs parliament over IAM policy documents, offline, and reports each finding with its statement.

stdin: [{"id": "...", "document": {"Version": ..., "Statement": [...]}}, ...]
stdout: [{"id": "...", "statement": <index or null>, "issue": "...", "detail": ...}, ...]

Each document is written with one statement per line, so the line parliament reports for a finding names
its statement. A finding without a line (about the policy as a whole) gets "statement": null.
"""
import json
import sys
import warnings

# parliament 1.6.4 imports pkg_resources, which warns that it is deprecated: noise, not a finding.
warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", category=DeprecationWarning)

import parliament  # noqa: E402

HEADER_LINES = 1


def one_statement_per_line(document):
    statements = document["Statement"]
    head = json.dumps({key: value for key, value in document.items() if key != "Statement"})[:-1]
    lines = [head + ', "Statement": ['] + [
        json.dumps(statement) + ("," if index < len(statements) - 1 else "") for index, statement in enumerate(statements)
    ]
    return "\n".join(lines) + "\n]}"


def main():
    results = []
    for entry in json.load(sys.stdin):
        document = entry["document"]
        policy = parliament.analyze_policy_string(one_statement_per_line(document))
        for finding in policy.findings:
            line = (finding.location or {}).get("line") or (finding.location or {}).get("lineno")
            index = line - 1 - HEADER_LINES if isinstance(line, int) else None
            if index is not None and not 0 <= index < len(document["Statement"]):
                index = None
            results.append({"id": entry["id"], "statement": index, "issue": finding.issue, "detail": finding.detail})
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    main()
