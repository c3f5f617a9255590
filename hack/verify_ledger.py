#!/usr/bin/env python3
"""Recomputes an Amber audit ledger's hash chain from `kubectl get ae -o json` output.

An independent check, in another language, of the encoding the README documents: it uses
nothing but the Python standard library. It checks each entry's hash and the chain's links;
checkpoint signatures (Ed25519) are left to `kubectl amber verify`.

    kubectl get ae -n NS -l gdpr.amber.dev/workload=NAME -o json | hack/verify_ledger.py
"""
import hashlib
import json
import sys


def canonical(namespace, spec):
    subject = spec.get("subject", {})
    fingerprints = spec.get("fingerprints", {})
    checkpoint = spec.get("checkpoint")
    content = {
        "actor": spec.get("actor", ""),
        "checkpoint": None if checkpoint is None else {
            "hash": checkpoint["hash"], "keyID": checkpoint["keyID"],
            "sequence": checkpoint["sequence"], "signature": checkpoint["signature"],
        },
        "fingerprints": {"after": fingerprints.get("after", ""), "before": fingerprints.get("before", "")},
        "idempotencyKey": spec["idempotencyKey"],
        "ledger": spec["ledger"],
        "message": spec.get("message", ""),
        "namespace": namespace,
        "previousHash": spec.get("previousHash", ""),
        "reason": spec.get("reason", ""),
        "recovered": spec.get("recovered", False),
        "sequence": spec["sequence"],
        "subject": {
            "generation": subject.get("generation", 0), "pod": subject.get("pod", ""),
            "podUID": subject.get("podUID", ""), "revision": subject.get("revision", ""),
            "workload": subject.get("workload", ""), "workloadUID": subject.get("workloadUID", ""),
        },
        "time": spec["time"],
        "type": spec["type"],
    }
    request = spec.get("request")
    if request is not None:
        content["request"] = {
            "command": request.get("command", ""), "commandHMAC": request.get("commandHMAC", ""),
            "groups": request.get("groups", []), "operation": request["operation"],
            "subresource": request.get("subresource", ""),
        }
    placement = spec.get("placement")
    if placement is not None:
        content["placement"] = {
            "node": placement["node"], "region": placement.get("region", ""), "zone": placement.get("zone", ""),
        }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def main():
    items = json.load(sys.stdin)["items"]
    chains = {}
    for item in items:
        key = (item["metadata"]["namespace"], item["spec"]["ledger"])
        chains.setdefault(key, []).append(item)
    failed = False
    for (namespace, ledger), entries in sorted(chains.items()):
        entries.sort(key=lambda e: e["spec"]["sequence"])
        previous = None
        problem = None
        for e in entries:
            spec = e["spec"]
            if hashlib.sha256(canonical(namespace, spec)).hexdigest() != spec["hash"]:
                problem = (spec["sequence"], "its content does not match its hash")
            elif previous is not None and spec["sequence"] != previous["sequence"] + 1:
                problem = (previous["sequence"] + 1, "is missing")
            elif previous is not None and spec.get("previousHash", "") != previous["hash"]:
                problem = (spec["sequence"], "previousHash does not match the entry before")
            if problem:
                break
            previous = spec
        if problem:
            failed = True
            print(f"{namespace}/{ledger}: FAILED at entry {problem[0]}: {problem[1]}")
        else:
            print(f"{namespace}/{ledger}: hash chain OK: entries {entries[0]['spec']['sequence']} to {previous['sequence']}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
