"""The crm engine for Python hosts: customers, leads, deals and tickets, one call at a time.

    import crm

    with crm.Crm.open("crm.db") as db:
        acme = db.call("tenants.create", {"tenantId": "acme", "name": "Acme",
                                          "admin": {"name": "Ada", "email": "ada@acme.test"}})
        ada = acme["admin"]["id"]
        grace = db.call("customers.create", {"name": "Grace"}, tenant="acme", actor=ada)
        for customer in db.items("customers.list", tenant="acme"):
            print(customer["id"], customer["name"])

Requests and answers are the JSON of the C ABI (API.md), as Python dicts and lists. A failed
request raises the `CrmError` subclass of its code (`NotFound`, `InvalidInput` with `.field`, …)
and changes nothing. A `Crm` is safe to share between threads: calls run side by side (the
library releases the GIL while it works), and `close` waits for the calls under way.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, Iterator, Mapping, Optional, Type

from ._native import ffi, lib

__all__ = [
    "ABI_VERSION",
    "Conflict",
    "Crm",
    "CrmError",
    "Forbidden",
    "Internal",
    "InvalidInput",
    "InvalidRequest",
    "NotFound",
    "Scope",
    "SearchError",
    "StorageError",
    "UnknownMethod",
    "version",
]


class CrmError(Exception):
    """A request the engine refused or could not carry out. Nothing was changed.

    `code` is the API's error code, `message` the engine's sentence (naming the field at
    fault first), `field` the JSON path of the value at fault where there is one
    (`criteria.all[2].op`), `merged_into` the record a merged record went into.
    """

    code = "internal"

    def __init__(self, message: str, *, code: Optional[str] = None, field: Optional[str] = None,
                 merged_into: Optional[int] = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.field = field
        self.merged_into = merged_into


class InvalidRequest(CrmError):
    """The request itself is malformed (not JSON, not an object, no method)."""

    code = "invalid_request"


class UnknownMethod(CrmError):
    """No such method."""

    code = "unknown_method"


class InvalidInput(CrmError, ValueError):
    """A value is not acceptable; `field` names it."""

    code = "invalid_input"


class NotFound(CrmError, LookupError):
    """The record does not exist in the tenant (another tenant's records included)."""

    code = "not_found"


class Conflict(CrmError):
    """The request conflicts with the record's state (an `externalId` taken, a sent quote)."""

    code = "conflict"


class Forbidden(CrmError, PermissionError):
    """The acting user's role does not allow it."""

    code = "forbidden"


class StorageError(CrmError, OSError):
    """The database failed (or could not be opened, or is busy)."""

    code = "storage"


class SearchError(CrmError):
    """The search index failed."""

    code = "search"


class Internal(CrmError):
    """A bug in the engine; the request changed nothing."""

    code = "internal"


_ERRORS: Dict[str, Type[CrmError]] = {
    cls.code: cls
    for cls in (InvalidRequest, UnknownMethod, InvalidInput, NotFound, Conflict, Forbidden,
                StorageError, SearchError, Internal)
}


def _error(body: Mapping[str, Any]) -> CrmError:
    code = str(body.get("code", "internal"))
    cls = _ERRORS.get(code, CrmError)
    return cls(str(body.get("message", code)), code=code, field=body.get("field"),
               merged_into=body.get("mergedInto"))


def _take(pointer: Any) -> str:
    """The text of a string the library returned, which is then freed."""
    try:
        text: str = ffi.string(pointer).decode("utf-8")
        return text
    finally:
        lib.crm_string_free(pointer)


def version() -> str:
    """The library's version (`crm_version`)."""
    text: str = ffi.string(lib.crm_version()).decode("ascii")
    return text


#: The C ABI's version this package speaks (`crm_abi_version`).
ABI_VERSION = 1


class Crm:
    """An open crm database: a SQLite file, `":memory:"`, or a `postgresql://` URL."""

    def __init__(self, handle: Any, where: str) -> None:
        self._handle = handle
        self._where = where
        self._calls = 0
        self._closed = False
        self._idle = threading.Condition()

    @classmethod
    def open(cls, path: str = ":memory:", *, pool_size: Optional[int] = None) -> "Crm":
        """Opens (creating and migrating if needed) the database at `path`.

        `pool_size` caps the connections the handle uses at once besides its writer (1 to
        1,000; 8 when absent). Raises `InvalidInput` for bad options and `StorageError` when the
        database cannot be opened; a password in a URL never appears in the message.
        """
        if lib.crm_abi_version() != ABI_VERSION:
            raise Internal(f"the library speaks C ABI {lib.crm_abi_version()}, "
                           f"this package {ABI_VERSION}")
        options = ffi.NULL
        if pool_size is not None:
            options = json.dumps({"poolSize": pool_size}).encode()
        out = ffi.new("CrmHandle **")
        error = ffi.new("char **")
        if lib.crm_open(str(path).encode(), options, out, error) != 0:
            raise _error(json.loads(_take(error[0]))["error"])
        return cls(out[0], str(path))

    def __enter__(self) -> "Crm":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<crm.Crm {self._where!r} {state}>"

    def call(self, method: str, params: Optional[Mapping[str, Any]] = None, *,
             tenant: Optional[str] = None, actor: Optional[int] = None) -> Any:
        """Runs one request and returns its `result`; raises the `CrmError` of its code.

        `tenant` is the tenant's key (all methods but `tenants.*` and `system.*` need one);
        `actor` the user (of that tenant) the request runs as, needed for writes.
        """
        request: Dict[str, Any] = {"method": method}
        if params is not None:
            request["params"] = dict(params)
        if tenant is not None:
            request["tenantId"] = tenant
        if actor is not None:
            request["actorId"] = actor
        payload = json.dumps(request, ensure_ascii=False).encode("utf-8")
        with self._idle:
            if self._closed:
                raise InvalidRequest("the database is closed", code="invalid_request")
            self._calls += 1
        try:
            answer = json.loads(_take(lib.crm_call(self._handle, payload)))
        finally:
            with self._idle:
                self._calls -= 1
                if self._calls == 0:
                    self._idle.notify_all()
        if answer.get("ok"):
            return answer.get("result")
        raise _error(answer.get("error", {}))

    def items(self, method: str, params: Optional[Mapping[str, Any]] = None, *,
              tenant: Optional[str] = None, actor: Optional[int] = None) -> Iterator[Any]:
        """Every item of a list method (`customers.list`, `search`, …), page after page.

        Pages are fetched as the iteration reaches them, following `nextCursor`; `limit` in
        `params` sets the page size.
        """
        params = dict(params or {})
        while True:
            page = self.call(method, params, tenant=tenant, actor=actor)
            yield from page.get("items", [])
            cursor = page.get("nextCursor")
            if not cursor:
                return
            params["cursor"] = cursor

    def scope(self, tenant: str, actor: Optional[int] = None) -> "Scope":
        """The same database, with every call made in `tenant` as `actor`."""
        return Scope(self, tenant, actor)

    def close(self) -> None:
        """Closes the database once the calls under way have finished. Closing twice is
        allowed; a call afterwards raises `InvalidRequest`."""
        with self._idle:
            if self._closed:
                return
            self._closed = True
            while self._calls:
                self._idle.wait()
        handle, self._handle = self._handle, ffi.NULL
        lib.crm_close(handle)

    def __del__(self) -> None:
        # A forgotten close still frees the handle (nothing can be calling by then); at
        # interpreter exit the library may already be gone, and then the process frees it.
        if not getattr(self, "_closed", True):
            self._closed = True
            try:
                lib.crm_close(self._handle)
            except Exception:  # noqa: BLE001 - nothing to tell anyone during teardown
                pass


class Scope:
    """A tenant and an acting user, so that calls need not repeat them."""

    def __init__(self, crm: Crm, tenant: str, actor: Optional[int]) -> None:
        self.crm = crm
        self.tenant = tenant
        self.actor = actor

    def __repr__(self) -> str:
        return f"<crm.Scope {self.tenant!r} as {self.actor!r}>"

    def call(self, method: str, params: Optional[Mapping[str, Any]] = None) -> Any:
        """`Crm.call` in this tenant, as this user."""
        return self.crm.call(method, params, tenant=self.tenant, actor=self.actor)

    def items(self, method: str, params: Optional[Mapping[str, Any]] = None) -> Iterator[Any]:
        """`Crm.items` in this tenant, as this user."""
        return self.crm.items(method, params, tenant=self.tenant, actor=self.actor)
