"""The Python package as a host uses it, installed from its wheel (`.ci/hosts` builds it)."""

import os
import pathlib
import subprocess
import threading
import time

import pytest

import crm


def make_tenant(db: crm.Crm, key: str = "acme") -> int:
    created = db.call("tenants.create", {"tenantId": key, "name": key.title(),
                                         "admin": {"name": "Ada", "email": f"ada@{key}.test"}})
    return created["admin"]["id"]


README = pathlib.Path(__file__).resolve().parents[3] / "README.md"


def readme_tour() -> str:
    """The Python example of the README's "Python" section, as written there."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Python"):]
    tour = section[section.index("```python\n") + len("```python\n"):]
    return tour[:tour.index("```")]


def test_a_file_keeps_what_was_written(tmp_path):
    path = str(tmp_path / "crm.db")
    with crm.Crm.open(path) as db:
        ada = make_tenant(db)
        acme = db.scope("acme", actor=ada)
        grace = acme.call("customers.create", {"name": "Grâce Hopper", "email": "grace@example.com",
                                               "tags": ["vip"]})
        ticket = acme.call("tickets.create", {"customerId": grace["id"], "subject": "Ça ne marche pas",
                                              "channel": "email", "priority": "high"})
        assert acme.call("tickets.get", {"id": ticket["id"]})["subject"] == "Ça ne marche pas"
        found = acme.call("search.query", {"q": "grace"})
        assert [hit["id"] for hit in found["hits"] if hit["type"] == "customer"] == [grace["id"]]
        assert repr(db).endswith("open>")
    assert repr(db).endswith("closed>")
    # The file holds what was written, for the next process.
    with crm.Crm.open(path) as again:
        assert again.call("customers.get", {"id": grace["id"]}, tenant="acme")["name"] == "Grâce Hopper"


def test_the_readme_python_tour_runs_as_written(tmp_path, monkeypatch, capsys):
    """The README's Python example, read from the README itself and run in an empty folder."""
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_tour(), str(README), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["1 Grace", 'email email: not a valid email address: "not an address"'], printed
    assert (tmp_path / "crm.db").exists()


def test_the_readme_python_tour_type_checks(tmp_path):
    """A host type-checking the README's example against the installed package finds nothing."""
    mypy = pytest.importorskip("mypy.api")
    tour = tmp_path / "tour.py"
    tour.write_text(readme_tour(), encoding="utf-8")
    out, err, status = mypy.run(["--strict", "--no-incremental", str(tour)])
    assert status == 0, out + err


def test_versions_agree():
    assert crm.version() == crm.Crm.open().call("system.version")["version"]
    with crm.Crm.open() as db:
        assert db.call("system.version")["abiVersion"] == crm.ABI_VERSION


def test_each_error_code_raises_its_exception_and_changes_nothing():
    with crm.Crm.open() as db:
        ada = make_tenant(db)
        acme = db.scope("acme", ada)
        with pytest.raises(crm.InvalidInput) as bad:
            acme.call("customers.create", {"name": "Eve", "email": "not an address"})
        assert bad.value.field == "email" and bad.value.code == "invalid_input"
        assert "email" in str(bad.value)
        assert isinstance(bad.value, ValueError) and isinstance(bad.value, crm.CrmError)
        assert acme.call("customers.list")["items"] == []

        with pytest.raises(crm.NotFound) as missing:
            acme.call("customers.get", {"id": 999})
        assert missing.value.message == "customer 999 not found"
        assert isinstance(missing.value, LookupError)

        acme.call("customers.create", {"name": "Ann", "externalId": "c-1"})
        with pytest.raises(crm.Conflict) as taken:
            acme.call("customers.create", {"name": "Ann again", "externalId": "c-1"})
        assert taken.value.field == "externalId"

        viewer = acme.call("users.create", {"name": "Vera", "email": "vera@acme.test", "role": "viewer"})
        with pytest.raises(crm.Forbidden):
            db.call("customers.create", {"name": "Nope"}, tenant="acme", actor=viewer["id"])

        with pytest.raises(crm.UnknownMethod):
            db.call("customers.explode", tenant="acme")
        with pytest.raises(crm.InvalidInput) as no_tenant:
            db.call("customers.list")
        assert no_tenant.value.field == "tenantId"
        assert [c["name"] for c in acme.items("customers.list")] == ["Ann"]


def test_another_tenants_records_are_not_found():
    with crm.Crm.open() as db:
        ada = make_tenant(db, "acme")
        bob = make_tenant(db, "globex")
        theirs = db.call("customers.create", {"name": "Globex's"}, tenant="globex", actor=bob)
        mine = db.call("customers.create", {"name": "Acme's"}, tenant="acme", actor=ada)
        # Ids count per tenant: each has a customer 1, and sees only its own.
        assert theirs["id"] == mine["id"] == 1
        assert db.call("customers.get", {"id": 1}, tenant="acme")["name"] == "Acme's"
        with pytest.raises(crm.NotFound):
            db.call("customers.get", {"externalId": "none"}, tenant="acme")
        with pytest.raises(crm.NotFound):
            db.call("customers.get", {"id": 1}, tenant="initech")


def test_items_walks_every_page_in_order():
    with crm.Crm.open() as db:
        ada = make_tenant(db)
        acme = db.scope("acme", ada)
        for i in range(123):
            acme.call("customers.create", {"name": f"Customer {i:03}"})
        names = [c["name"] for c in acme.items("customers.list", {"limit": 10, "sort": {"field": "name", "direction": "asc"}})]
        assert names == [f"Customer {i:03}" for i in range(123)]
        assert list(acme.items("customers.list", {"where": {"field": "name", "op": "equals", "value": "x"}})) == []


def test_opening_refuses_bad_options_and_bad_files(tmp_path):
    with pytest.raises(crm.InvalidInput) as bad:
        crm.Crm.open(":memory:", pool_size=0)
    assert bad.value.field == "poolSize"
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(crm.StorageError):
        crm.Crm.open(str(folder))
    with pytest.raises(crm.CrmError) as url:
        crm.Crm.open("postgresql://someone:s3cret@127.0.0.1:1/none")
    assert "s3cret" not in str(url.value)


def test_threads_share_one_database_and_close_waits_for_them(tmp_path):
    db = crm.Crm.open(str(tmp_path / "threads.db"))
    ada = make_tenant(db)
    failures = []

    def write(n):
        try:
            for i in range(25):
                db.call("customers.create", {"name": f"T{n}-{i}"}, tenant="acme", actor=ada)
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(e)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    names = {c["name"] for c in db.items("customers.list", {"limit": 500}, tenant="acme")}
    assert names == {f"T{n}-{i}" for n in range(4) for i in range(25)}
    db.close()
    db.close()  # twice is allowed
    with pytest.raises(crm.InvalidRequest):
        db.call("system.version")


@pytest.mark.skipif("CRM_TEST_POSTGRES" not in os.environ,
                    reason="no PostgreSQL server to test against (CRM_TEST_POSTGRES)")
def test_a_postgresql_url_serves_the_same_calls():
    """The same package on the second backend: a schema of its own on the server."""
    base = os.environ["CRM_TEST_POSTGRES"]
    schema = f"py_{os.getpid()}_{time.time_ns()}"
    subprocess.run(["psql", base, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True)
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        with crm.Crm.open(url, pool_size=2) as db:
            ada = make_tenant(db, "acme")
            bob = make_tenant(db, "globex")
            acme = db.scope("acme", ada)
            for i in range(7):
                acme.call("customers.create", {"name": f"Zoë {i}", "email": f"zoe{i}@example.com"})
            db.call("customers.create", {"name": "Globex's"}, tenant="globex", actor=bob)
            names = [c["name"] for c in acme.items("customers.list", {"limit": 3})]
            assert sorted(names) == [f"Zoë {i}" for i in range(7)]
            with pytest.raises(crm.NotFound):
                db.call("customers.get", {"id": 8}, tenant="acme")
            with pytest.raises(crm.InvalidInput) as bad:
                acme.call("customers.create", {"name": "Eve", "email": "nope"})
            assert bad.value.field == "email"
            assert db.call("system.version")["abiVersion"] == crm.ABI_VERSION
    finally:
        subprocess.run(["psql", base, "-q", "-c", f"DROP SCHEMA {schema} CASCADE"], check=True)
