"""The peer of tests/bench/tables_bench.lua: what the (older) Python DatagrokClient
does for each call, with requests (no session: one connection per call) and pandas.

Scenario ids as in docs/benchmarks.md:

  py_tables_peer.py URL KEY download_table NAME          (B1)
  py_tables_peer.py URL KEY upload_table NAME CSV_FILE   (B2: read_csv, then the upload)
  py_tables_peer.py URL KEY download_file CONN PATH OUT  (B3: bytes in memory, then written)
  py_tables_peer.py URL KEY get_group ID COUNT           (B6)
"""
import io
import sys

import pandas as pd
import requests


def request(url, key, method, endpoint, **kw):
    headers = {"Authorization": key}
    headers.update(kw.pop("headers", {}))
    r = requests.request(method, url + endpoint, headers=headers, **kw)
    r.raise_for_status()
    if "api-error" in r.headers:
        raise RuntimeError(r.text)
    return r


def main():
    url, key, op = sys.argv[1], sys.argv[2], sys.argv[3]
    args = sys.argv[4:]
    if op == "download_table":
        r = request(url, key, "GET", "/public/v1/tables/" + args[0].replace(":", "."),
                    headers={"Content-Type": "text/plain"})
        df = pd.read_csv(io.StringIO(r.text))
        sys.stderr.write("%d rows\n" % len(df))
    elif op == "upload_table":
        df = pd.read_csv(args[1])
        data = df.to_csv(index=False).encode("utf-8")
        r = request(url, key, "POST", "/public/v1/tables/" + args[0].replace(":", "."),
                    data=data, headers={"Content-Type": "text/csv"})
        sys.stderr.write("%s\n" % r.json()["ID"])
    elif op == "download_file":
        r = request(url, key, "GET", "/public/v1/files/%s/%s" % (args[0].replace(":", "."), args[1]),
                    headers={"Content-Type": "application/octet-stream"})
        with open(args[2], "wb") as f:
            f.write(r.content)
    elif op == "get_group":
        for _ in range(int(args[1])):
            request(url, key, "GET", "/public/v1/groups/" + args[0]).json()
    else:
        raise SystemExit("unknown operation " + op)


if __name__ == "__main__":
    main()
