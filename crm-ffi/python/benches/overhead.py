"""What the Python package adds per request over the raw C ABI, in one process.

    python crm-ffi/python/benches/overhead.py     (with the wheel installed: see the README)

Both sides send the same `customers.get` (and `system.version`) to the same handle: the raw side
hands prepared bytes to `crm_call` through cffi and frees the answer; the package's side is
`Crm.call`, which builds the request, encodes and decodes JSON, counts the call for `close`,
and raises on errors. The difference is the package's cost.
"""

import json
import statistics
import timeit

import crm
from crm._native import ffi, lib


def main() -> None:
    db = crm.Crm.open()
    ada = db.call("tenants.create", {"tenantId": "acme", "name": "Acme",
                                     "admin": {"name": "Ada", "email": "ada@acme.test"}})["admin"]["id"]
    customer = db.call("customers.create", {"name": "Grace Hopper", "email": "grace@example.com",
                                            "phone": "+1 212 555 0100", "tags": ["vip", "navy"]},
                       tenant="acme", actor=ada)
    handle = db._handle  # the same handle for the raw side
    cases = [
        ("customers.get", {"id": customer["id"]}, "acme"),
        ("system.version", None, None),
    ]
    for method, params, tenant in cases:
        request = {"method": method}
        if params is not None:
            request["params"] = params
        if tenant is not None:
            request["tenantId"] = tenant
        raw_bytes = json.dumps(request).encode()

        def raw():
            answer = lib.crm_call(handle, raw_bytes)
            ffi.string(answer)
            lib.crm_string_free(answer)

        def wrapped():
            db.call(method, params, tenant=tenant)

        n = 20_000
        raw_runs = [t / n * 1e6 for t in timeit.repeat(raw, number=n, repeat=7)]
        wrapped_runs = [t / n * 1e6 for t in timeit.repeat(wrapped, number=n, repeat=7)]
        raw_us, wrapped_us = statistics.median(raw_runs), statistics.median(wrapped_runs)
        print(f"{method:<16} raw ABI {raw_us:6.2f} µs   crm.Crm.call {wrapped_us:6.2f} µs   "
              f"the package adds {wrapped_us - raw_us:5.2f} µs")
    db.close()


if __name__ == "__main__":
    main()
