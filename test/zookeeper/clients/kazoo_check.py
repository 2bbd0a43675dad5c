"""kazoo 2.8 (Debian's python3-kazoo) against a conclave ensemble.

Run: /usr/bin/python3 kazoo_check.py <hosts> <root>
Prints one line per check, "CHECK <name> ok" or "CHECK <name> FAIL <detail>", then "DONE failures=<n>".
For the failover check it prints "KILL <session id hex>" and waits for a line on stdin: the harness stops the
server the session is on and answers "KILLED".
"""
import logging
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.protocol.states import KeeperState
from kazoo.exceptions import (
    BadVersionError,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
)
from kazoo.retry import KazooRetry
from kazoo.security import make_digest_acl

logging.basicConfig(level=logging.ERROR)

STEP_TIMEOUT_S = 20
# Longer than the idle session's 4 s timeout: only pings keep it.
IDLE_S = 6
failures = 0


def check(name, ok, detail=""):
    global failures
    if ok:
        print("CHECK %s ok" % name, flush=True)
    else:
        failures += 1
        print("CHECK %s FAIL %s" % (name, detail), flush=True)


def expect_error(name, error, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
        check(name, False, "no %s" % error.__name__)
    except error:
        check(name, True)


def wait_until(pred, timeout=STEP_TIMEOUT_S):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def main():
    hosts, root = sys.argv[1], sys.argv[2]
    retry = KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5, deadline=30)
    zk = KazooClient(hosts=hosts, timeout=10, connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5))
    zk.start(timeout=STEP_TIMEOUT_S)
    session_id, _ = zk.client_id
    check("connect", zk.connected and session_id != 0, repr(zk.client_id))

    zk.ensure_path(root + "/a/b/c")
    check("ensure_path", zk.exists(root + "/a/b/c") is not None)

    eph = zk.create(root + "/a/e-", b"x", ephemeral=True, sequence=True)
    check("create-ephemeral-sequential", eph.startswith(root + "/a/e-") and len(eph) == len(root + "/a/e-") + 10, eph)
    stat = zk.exists(eph)
    check("ephemeral-owner", stat is not None and stat.ephemeralOwner == session_id, repr(stat))

    data, stat = zk.get(root + "/a")
    check("get", data == b"" and stat.version == 0 and stat.numChildren == 2, repr((data, stat)))
    stat = zk.set(root + "/a", b"v1", version=0)
    check("set-version", stat.version == 1 and stat.dataLength == 2, repr(stat))
    expect_error("set-bad-version", BadVersionError, zk.set, root + "/a", b"v2", version=0)
    expect_error("delete-not-empty", NotEmptyError, zk.delete, root + "/a")
    expect_error("create-exists", NodeExistsError, zk.create, root + "/a")
    expect_error("get-missing", NoNodeError, zk.get, root + "/missing")

    children = sorted(zk.get_children(root + "/a"))
    check("children", children == ["b", eph.rsplit("/", 1)[1]], repr(children))
    children, stat = zk.get_children(root + "/a", include_data=True)
    check("children-with-stat", stat.numChildren == 2, repr(stat))

    # DataWatch / ChildrenWatch: called at once with the current state, then per change.
    seen_data = []
    seen_children = []
    data_cv = threading.Condition()

    @zk.DataWatch(root + "/w")
    def on_data(data, stat):
        with data_cv:
            seen_data.append(data)
            data_cv.notify_all()

    zk.create(root + "/w", b"d0")
    zk.set(root + "/w", b"d1")

    @zk.ChildrenWatch(root + "/w")
    def on_children(children):
        seen_children.append(sorted(children))

    # One change at a time, each seen by the watcher before the next (kazoo re-reads the children per event).
    steps = [
        (lambda: zk.create(root + "/w/k1"), ["k1"]),
        (lambda: zk.create(root + "/w/k2"), ["k1", "k2"]),
        (lambda: zk.delete(root + "/w/k1"), ["k2"]),
        (lambda: zk.delete(root + "/w/k2"), []),
    ]
    children_ok = True
    for change, expect in steps:
        before = len(seen_children)
        change()
        children_ok = children_ok and wait_until(lambda: expect in seen_children[before:])
    zk.delete(root + "/w")
    check("datawatch", wait_until(lambda: seen_data[-1:] == [None] and b"d1" in seen_data), repr(seen_data))
    check("childrenwatch", children_ok, repr(seen_children))

    # A one-shot watch through the raw API: exists on a missing node, then its creation.
    created = threading.Event()
    zk.exists(root + "/later", watch=lambda ev: created.set() if ev.type == "CREATED" else None)
    zk.create(root + "/later")
    check("exists-watch", created.wait(STEP_TIMEOUT_S))

    # Transaction with a failing op: everything rolls back.
    t = zk.transaction()
    t.create(root + "/t1")
    t.create(root + "/a")
    results = t.commit()
    check(
        "transaction-failure",
        len(results) == 2 and isinstance(results[0], RolledBackError) and isinstance(results[1], NodeExistsError),
        repr(results),
    )
    check("transaction-rolled-back", zk.exists(root + "/t1") is None)
    t = zk.transaction()
    t.create(root + "/t2", b"x")
    t.check(root + "/a", 1)
    t.set_data(root + "/a", b"v2", 1)
    t.delete(root + "/t2")
    results = t.commit()
    check("transaction-success", results[0] == root + "/t2" and results[1] is True and results[2].version == 2 and results[3] is True, repr(results))

    # Sequential create inside a transaction: the result carries the suffix.
    t = zk.transaction()
    t.create(root + "/q-", b"", sequence=True)
    results = t.commit()
    check("transaction-sequential", len(results) == 1 and results[0].startswith(root + "/q-") and len(results[0]) == len(root + "/q-") + 10, repr(results))

    # Recipes built on the primitives: Lock (ephemeral sequential + exists watch), Counter (versioned set).
    lock = zk.Lock(root + "/lock", "one")
    contender = zk.Lock(root + "/lock", "two")
    got = lock.acquire(timeout=STEP_TIMEOUT_S)
    check("lock-acquire", got and contender.contenders() == ["one"], repr(contender.contenders()))
    acquired_second = threading.Event()
    threading.Thread(target=lambda: contender.acquire(timeout=STEP_TIMEOUT_S) and acquired_second.set(), daemon=True).start()
    time.sleep(0.3)
    check("lock-exclusive", not acquired_second.is_set())
    lock.release()
    check("lock-handover", acquired_second.wait(STEP_TIMEOUT_S))
    contender.release()
    counter = zk.Counter(root + "/counter")
    counter += 5
    counter -= 2
    check("counter", counter.value == 3, repr(counter.value))

    # set_acls with a version, then get_acls.
    zk.create(root + "/acl", b"")
    from kazoo.security import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE
    expect_error("set_acls-bad-version", BadVersionError, zk.set_acls, root + "/acl", OPEN_ACL_UNSAFE, version=5)
    stat = zk.set_acls(root + "/acl", READ_ACL_UNSAFE, version=0)
    acls, stat2 = zk.get_acls(root + "/acl")
    check("set_acls", stat.aversion == 1 and len(acls) == 1 and acls[0].perms == 1, repr((stat, acls)))
    expect_error("set-read-only", NoAuthError, zk.set, root + "/acl", b"x")
    # Without ADMIN on the node, setACL is refused before its version is compared (ZooKeeper's order).
    expect_error("set_acls-no-admin", NoAuthError, zk.set_acls, root + "/acl", OPEN_ACL_UNSAFE, version=5)

    # Four-letter words through the client port.
    version = zk.server_version()
    check("server_version", isinstance(version, tuple) and len(version) == 3 and version[0] == 3, repr(version))
    ruok = zk.command(b"ruok")
    check("command-ruok", ruok == "imok", repr(ruok))
    srvr = zk.command(b"srvr")
    check("command-srvr", "Mode: " in srvr and "Zxid: 0x" in srvr, repr(srvr))

    # Auth + ACL: a digest-protected node is readable by its owner only.
    zk.add_auth("digest", "kazoo:secret")
    acl = make_digest_acl("kazoo", "secret", all=True)
    zk.create(root + "/secret", b"s", acl=[acl])
    data, _ = zk.get(root + "/secret")
    acls, _ = zk.get_acls(root + "/secret")
    check("acl-owner", data == b"s" and acls[0].id.scheme == "digest" and acls[0].id.id.startswith("kazoo:"), repr(acls))
    # This one allows a read-only server (the readOnly connect byte set): a read-write server answers CONNECTED.
    anon = KazooClient(hosts=hosts, timeout=10, read_only=True)
    anon.start(timeout=STEP_TIMEOUT_S)
    check("read-only-allowed-connect", anon.client_state == KeeperState.CONNECTED, repr(anon.client_state))
    expect_error("acl-other", NoAuthError, anon.get, root + "/secret")
    check("acl-exists-unchecked", anon.exists(root + "/secret") is not None)
    anon.stop()
    anon.close()

    # sync
    check("sync", zk.sync(root) == root)

    # An idle session with the shortest timeout lives on kazoo's pings alone (no SUSPENDED, same session).
    idle = KazooClient(hosts=hosts, timeout=4)
    idle_states = []
    idle.start(timeout=STEP_TIMEOUT_S)
    idle.add_listener(lambda state: idle_states.append(state))
    idle_id = idle.client_id[0]
    time.sleep(IDLE_S)
    check("idle-pings", idle.connected and idle.client_id[0] == idle_id and idle_states == [] and idle.exists(root) is not None, repr(idle_states))
    idle.stop()
    idle.close()

    # Session survives its server stopping: kazoo moves to another server with the same session.
    states = []
    zk.add_listener(lambda state: states.append(state))
    print("KILL %x" % session_id, flush=True)
    answer = sys.stdin.readline().strip()
    check("harness", answer == "KILLED", answer)
    stat = retry(zk.set, root + "/a", b"after")
    # A retried set whose first attempt committed before the connection dropped applies twice (CONNECTIONLOSS leaves
    # the outcome unknown, as with ZooKeeper): version 3 or 4, and the data is ours either way.
    check("write-after-failover", stat.version in (3, 4) and zk.get(root + "/a")[0] == b"after", repr(stat))
    check("same-session", zk.client_id[0] == session_id, "%x != %x" % (zk.client_id[0], session_id))
    check("ephemeral-survives", retry(zk.exists, eph) is not None)
    check("states", "SUSPENDED" in states and "LOST" not in states, repr(states))

    # Recursive delete, then close (the ephemeral goes with the session).
    zk.delete(root + "/a", recursive=True)
    check("delete-recursive", zk.exists(root + "/a") is None)
    zk.create(root + "/eph2", ephemeral=True)
    zk.stop()
    zk.close()
    other = KazooClient(hosts=hosts, timeout=10)
    other.start(timeout=STEP_TIMEOUT_S)
    other.add_auth("digest", "kazoo:secret")
    check("close-removes-ephemeral", wait_until(lambda: other.exists(root + "/eph2") is None))
    other.delete(root, recursive=True)
    other.stop()
    other.close()
    print("DONE failures=%d" % failures, flush=True)


if __name__ == "__main__":
    main()
