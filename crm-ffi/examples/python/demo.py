"""Creates a tenant, a customer and a ticket through the crm C ABI (ctypes), and reads them back.

    python3 crm-ffi/examples/python/demo.py [LIBRARY] [DB_PATH]

LIBRARY defaults to target/debug/libcrm.so (build it with `cargo build -p crm-ffi`).
"""

import ctypes
import json
import sys


class Crm:
    """A crm database opened through the C ABI."""

    def __init__(self, library: str, path: str = ":memory:"):
        lib = ctypes.CDLL(library)
        lib.crm_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p),
                                 ctypes.POINTER(ctypes.c_void_p)]
        lib.crm_open.restype = ctypes.c_int32
        # Returned strings are kept as raw pointers so that they can be freed.
        lib.crm_call.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.crm_call.restype = ctypes.c_void_p
        lib.crm_string_free.argtypes = [ctypes.c_void_p]
        lib.crm_close.argtypes = [ctypes.c_void_p]
        lib.crm_version.restype = ctypes.c_char_p
        self._lib = lib
        handle, error = ctypes.c_void_p(), ctypes.c_void_p()
        if lib.crm_open(path.encode(), None, ctypes.byref(handle), ctypes.byref(error)) != 0:
            raise RuntimeError(self._take(error.value))
        self._handle = handle

    def _take(self, pointer) -> str:
        try:
            return ctypes.string_at(pointer).decode()
        finally:
            self._lib.crm_string_free(pointer)

    def version(self) -> str:
        return self._lib.crm_version().decode()

    def call(self, method: str, params=None, tenant=None, actor=None) -> dict:
        request = {"method": method, "params": params or {}}
        if tenant is not None:
            request["tenantId"] = tenant
        if actor is not None:
            request["actorId"] = actor
        return json.loads(self._take(self._lib.crm_call(self._handle, json.dumps(request).encode())))

    def close(self) -> None:
        self._lib.crm_close(self._handle)
        self._handle = None


def main() -> int:
    library = sys.argv[1] if len(sys.argv) > 1 else "target/debug/libcrm.so"
    crm = Crm(library, sys.argv[2] if len(sys.argv) > 2 else ":memory:")
    print("crm", crm.version())
    created = crm.call("tenants.create", {"tenantId": "acme", "name": "Acme",
                                          "admin": {"name": "Ada", "email": "ada@acme.test"}})
    assert created["ok"], created
    admin = created["result"]["admin"]["id"]
    customer = crm.call("customers.create", {"name": "Zoë Ångström", "email": "zoe@example.com",
                                             "tags": ["vip"]}, tenant="acme", actor=admin)
    assert customer["ok"], customer
    ticket = crm.call("tickets.create", {"customerId": customer["result"]["id"], "subject": "Ça ne marche pas",
                                         "channel": "email", "priority": "high", "createdAt": "2026-01-05T09:30:00Z"},
                      tenant="acme", actor=admin)
    assert ticket["ok"], ticket
    got = crm.call("customers.get", {"id": customer["result"]["id"]}, tenant="acme")
    assert got["result"]["name"] == "Zoë Ångström", got
    got = crm.call("tickets.get", {"id": ticket["result"]["id"]}, tenant="acme")
    assert got["result"]["subject"] == "Ça ne marche pas" and got["result"]["priority"] == "high", got
    page = crm.call("tickets.list", {"customerId": customer["result"]["id"]}, tenant="acme")
    assert [t["id"] for t in page["result"]["items"]] == [ticket["result"]["id"]], page
    crm.call("calls.create", {"customerId": customer["result"]["id"], "durationSeconds": 95,
                              "outcome": "resolved"}, tenant="acme", actor=admin)
    # The customer's timeline, newest first: the call, then the ticket's "created" event.
    timeline = crm.call("timeline.get", {"entity": {"type": "customer", "id": customer["result"]["id"]}},
                        tenant="acme")
    assert [e["type"] for e in timeline["result"]["items"]] == ["call", "ticket_event"], timeline
    for event in timeline["result"]["items"]:
        print(event["occurredAt"][:16], event["type"], event["title"])
    error = crm.call("customers.get", {"id": 999}, tenant="acme")
    assert error == {"ok": False, "error": {"code": "not_found", "message": "customer 999 not found"}}, error
    print(json.dumps(crm.call("customers.get", {"id": customer["result"]["id"]}, tenant="acme")["result"],
                     ensure_ascii=False))
    crm.close()
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
