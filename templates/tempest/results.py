# cairn verify --tempest: reads the subunit v2 stream of Tempest's last run (argv[1]) and prints
# one JSON line per test: {"id", "status", "secs", "detail"}. status is Tempest's own word
# (success, fail, skip, xfail, uxsuccess); detail is the skip reason, or the traceback's
# last lines for a failure.
import json
import sys

import subunit
import testtools


def text(details, name):
    c = details.get(name)
    if c is None:
        return ""
    try:
        return "".join(x.decode("utf-8", "replace") if isinstance(x, bytes) else x for x in c.iter_bytes())
    except Exception:  # a detail that is not text
        return ""


def emit(test):
    if test["status"] in ("exists", "inprogress", None):
        return
    details = test.get("details") or {}
    if test["status"] == "skip":
        detail = text(details, "reason")
    elif test["status"] in ("fail", "uxsuccess"):
        tb = text(details, "traceback").strip().splitlines()
        detail = "\n".join(tb[-12:])
    else:
        detail = ""
    start, stop = (test.get("timestamps") or [None, None])[:2]
    secs = (stop - start).total_seconds() if start and stop else 0
    print(json.dumps(dict(id=test["id"], status=test["status"], secs=round(secs, 2), detail=detail)), flush=True)


with open(sys.argv[1], "rb") as f:
    case = subunit.ByteStreamToStreamResult(f, non_subunit_name="stdout")
    result = testtools.StreamToDict(emit)
    result.startTestRun()
    try:
        case.run(result)
    finally:
        result.stopTestRun()
