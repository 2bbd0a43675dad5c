"""kazoo 2.8 (Debian's python3-kazoo): the ZooKeeper 3.8 behaviours of issue 15, one section per run.

Run: /usr/bin/python3 kazoo_parity.py <section> <hosts> <root> [<server ids of hosts>]
Sections:
  data-acl   null data vs empty data (create/set with None, get returns None), duplicate ACL entries removed on
             create and set_acls
  password   <hosts> is two or more members: a session made on the first; its id with a wrong password (raw
             ConnectRequest and kazoo's client_id) on another is answered as expired (timeout 0, session id 0) and
             takes nothing over; with the right password the session moves to the other member, ephemeral kept
  session-id <hosts> with the server id of each (comma-separated, 4th argument): a session made on each member
             carries that member's id in the high byte (id >> 56, as tools read it), also for ids >= 128 (a negative
             long on the wire), and it answers reads and writes and resumes with its id and password
  restart    <hosts> is one member: a session there with an ephemeral; the script prints "KILL <session hex>",
             and once disconnected queues a setData; the harness stops that member (SIGTERM), starts it again on
             the same data and answers "KILLED"; within RESTART_BACK_S the client is back with the same session,
             its queued request answered and its ephemeral kept
Prints one line per check, "CHECK <name> ok" or "CHECK <name> FAIL <detail>", then "DONE failures=<n>".
"""
import logging
import socket
import struct
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState
from kazoo.security import make_acl, make_digest_acl, OPEN_ACL_UNSAFE

# check/expect_error/wait_until and the step timeout are kazoo_check.py's (same directory)
import kazoo_check
from kazoo_check import STEP_TIMEOUT_S, check

logging.basicConfig(level=logging.ERROR)

# How long a raw connection waits to see the server close it after an expired-session answer.
CLOSE_WAIT_S = 2
# ZooKeeper's clients are back on a restarted member within this (issue 15).
RESTART_BACK_S = 5


def data_acl(hosts, root):
    zk = KazooClient(hosts=hosts, timeout=10)
    zk.start(timeout=STEP_TIMEOUT_S)
    zk.ensure_path(root)
    # null data: create(path, None) stores null; getData answers null (length -1 on the wire), dataLength 0
    zk.create(root + "/null", None)
    value, stat = zk.get(root + "/null")
    check("create-null", value is None and stat.dataLength == 0, "got %r, dataLength %d" % (value, stat.dataLength))
    zk.create(root + "/empty", b"")
    value, stat = zk.get(root + "/empty")
    check("create-empty", value == b"" and stat.dataLength == 0, "got %r" % (value,))
    zk.set(root + "/empty", None)
    value, stat = zk.get(root + "/empty")
    check("set-null", value is None and stat.version == 1, "got %r version %d" % (value, stat.version))
    zk.set(root + "/null", b"")
    value, _ = zk.get(root + "/null")
    check("set-empty-after-null", value == b"", "got %r" % (value,))
    # duplicate ACL entries: ZooKeeper 3.5+ keeps one of each
    world = make_acl("world", "anyone", all=True)
    digest = make_digest_acl("u", "pw", read=True)
    zk.create(root + "/dup", b"x", acl=[world, world, digest, digest, world])
    acls, stat = zk.get_acls(root + "/dup")
    check("create-dup-acl", len(acls) == 2 and world in acls and digest in acls, "acls %r" % (acls,))
    zk.set_acls(root + "/dup", [digest, world, digest, world, world])
    acls, stat = zk.get_acls(root + "/dup")
    check("setacl-dup-acl", len(acls) == 2 and stat.aversion == 1, "acls %r aversion %d" % (acls, stat.aversion))
    zk.stop()
    zk.close()


def raw_connect(host, session_id, passwd):
    """One ConnectRequest (jute) for session_id/passwd: (timeOut, sessionId, passwd) answered, and whether the
    server then closed the connection."""
    addr, port = host.rsplit(":", 1)
    sock = socket.create_connection((addr, int(port)), timeout=STEP_TIMEOUT_S)
    try:
        body = struct.pack(">iqiq", 0, 0, 10000, session_id) + struct.pack(">i", len(passwd)) + passwd + b"\x00"
        sock.sendall(struct.pack(">i", len(body)) + body)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">i", data[:4])[0]:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        _proto, timeout, sid, pwlen = struct.unpack(">iiqi", data[4:24])  # sid: signed, as kazoo's
        answered_pw = data[24:24 + pwlen]
        sock.settimeout(CLOSE_WAIT_S)
        try:
            closed = sock.recv(4096) == b""
        except socket.timeout:
            closed = False
        return timeout, sid, answered_pw, closed
    finally:
        sock.close()


def password(hosts, root):
    members = hosts.split(",")
    owner = KazooClient(hosts=members[0], timeout=10)
    owner.start(timeout=STEP_TIMEOUT_S)
    owner.ensure_path(root)
    owner.create(root + "/eph", b"mine", ephemeral=True)
    sid, pw = owner.client_id
    wrong = bytes(b ^ 0xFF for b in pw)
    timeout, answered_sid, answered_pw, closed = raw_connect(members[1], sid, wrong)
    check("raw-wrong-password-expired", timeout == 0 and answered_sid == 0 and answered_pw == bytes(16) and closed,
          "timeout %d session 0x%x passwd %r closed %r" % (timeout, answered_sid, answered_pw, closed))
    # kazoo with the stolen id and a wrong password: its session is expired, it gets a new one
    thief = KazooClient(hosts=members[1], timeout=10, client_id=(sid, wrong))
    thief.start(timeout=STEP_TIMEOUT_S)
    check("kazoo-wrong-password-new-session", thief.client_id[0] != sid,
          "session 0x%x (stolen 0x%x)" % (thief.client_id[0], sid))
    thief.stop()
    thief.close()
    _, stat = owner.get(root + "/eph")
    check("owner-keeps-session", owner.state == KazooState.CONNECTED and owner.client_id[0] == sid and stat.ephemeralOwner == sid,
          "owner %s 0x%x, ephemeral owner 0x%x" % (owner.state, owner.client_id[0], stat.ephemeralOwner))
    # the right password on another member: the session moves there (raw, then kazoo), its ephemeral with it
    timeout, answered_sid, answered_pw, _ = raw_connect(members[1], sid, pw)
    check("raw-right-password-moves", timeout > 0 and answered_sid == sid and answered_pw == pw,
          "timeout %d session 0x%x" % (timeout, answered_sid))
    mover = KazooClient(hosts=members[1], timeout=10, client_id=(sid, pw))
    states = []
    mover.add_listener(states.append)
    mover.start(timeout=STEP_TIMEOUT_S)
    _, stat = mover.retry(mover.get, root + "/eph")
    check("kazoo-right-password-moves", mover.client_id[0] == sid and KazooState.LOST not in states and stat.ephemeralOwner == sid,
          "session 0x%x, states %r, ephemeral owner 0x%x" % (mover.client_id[0], states, stat.ephemeralOwner))
    mover.stop()  # closes the session (the owner's client then finds it expired)
    mover.close()
    owner.stop()
    owner.close()


def session_id(hosts, root, server_ids):
    members = hosts.split(",")
    for host, expected in zip(members, server_ids.split(",")):
        zk = KazooClient(hosts=host, timeout=10)
        zk.start(timeout=STEP_TIMEOUT_S)
        sid, pw = zk.client_id
        unsigned = sid & 0xFFFFFFFFFFFFFFFF  # kazoo keeps what the wire says: a signed long
        check("high-byte-%s" % expected, unsigned >> 56 == int(expected), "session 0x%x on server %s" % (unsigned, expected))
        zk.ensure_path(root)
        path = zk.create(root + "/e-", b"x", ephemeral=True, sequence=True)
        _, stat = zk.get(path)
        check("ephemeral-owner-%s" % expected, stat.ephemeralOwner & 0xFFFFFFFFFFFFFFFF == unsigned, "owner 0x%x" % stat.ephemeralOwner)
        raw_timeout, raw_sid, _, _ = raw_connect(host, sid, pw)
        check("resume-%s" % expected, raw_timeout > 0 and raw_sid == sid, "timeout %d session 0x%x" % (raw_timeout, raw_sid))
        zk.stop()
        zk.close()


def restart(hosts, root):
    zk = KazooClient(hosts=hosts, timeout=10)
    lost = threading.Event()
    zk.add_listener(lambda state: lost.set() if state == KazooState.SUSPENDED else None)
    zk.start(timeout=STEP_TIMEOUT_S)
    zk.ensure_path(root)
    zk.create(root + "/eph", b"before", ephemeral=True)
    sid = zk.client_id[0]
    print("KILL %x" % (sid & 0xFFFFFFFFFFFFFFFF), flush=True)
    check("disconnected", lost.wait(STEP_TIMEOUT_S), "the client never saw its member go")
    queued = zk.set_async(root + "/eph", b"queued")
    answer = sys.stdin.readline().strip()
    back_from = time.time()
    check("restarted", answer == "KILLED", "harness said %r" % answer)
    try:
        stat = queued.get(timeout=RESTART_BACK_S)
        took = time.time() - back_from
        check("queued-request-answered", stat.version == 1, "version %d" % stat.version)
        check("back-within-5s", took <= RESTART_BACK_S, "%.2f s after the restart" % took)
        print("NOTE back with the same session %.2f s after the member was up again" % took, flush=True)
    except Exception as e:  # the queued request's failure or timeout is the finding
        check("queued-request-answered", False, "%s after %.2f s: %s" % (type(e).__name__, time.time() - back_from, e))
    check("same-session", zk.client_id[0] == sid and zk.state == KazooState.CONNECTED, "session 0x%x state %s" % (zk.client_id[0], zk.state))
    value, stat = zk.get(root + "/eph")
    check("ephemeral-kept", value == b"queued" and stat.ephemeralOwner == sid, "value %r owner 0x%x" % (value, stat.ephemeralOwner))
    zk.stop()
    zk.close()


SECTIONS = {"data-acl": data_acl, "password": password, "session-id": session_id, "restart": restart}


def main():
    section, args = sys.argv[1], sys.argv[2:]
    try:
        SECTIONS[section](*args)
    except Exception as e:  # a raised step is a failed check, reported with its cause
        check("harness", False, "%s: %s" % (type(e).__name__, e))
    print("DONE failures=%d" % kazoo_check.failures, flush=True)


if __name__ == "__main__":
    main()
