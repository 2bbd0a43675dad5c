"""kazoo 2.8 (Debian's python3-kazoo): the ZooKeeper 3.8 behaviours of issue 15, one section per run.

Run: /usr/bin/python3 kazoo_parity.py <section> <hosts> <root>
Sections:
  data-acl   null data vs empty data (create/set with None, get returns None), duplicate ACL entries removed on
             create and set_acls
Prints one line per check, "CHECK <name> ok" or "CHECK <name> FAIL <detail>", then "DONE failures=<n>".
"""
import logging
import sys

from kazoo.client import KazooClient
from kazoo.security import make_acl, make_digest_acl, OPEN_ACL_UNSAFE

# check/expect_error/wait_until and the step timeout are kazoo_check.py's (same directory)
import kazoo_check
from kazoo_check import STEP_TIMEOUT_S, check

logging.basicConfig(level=logging.ERROR)


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


SECTIONS = {"data-acl": data_acl}


def main():
    section, hosts, root = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        SECTIONS[section](hosts, root)
    except Exception as e:  # a raised step is a failed check, reported with its cause
        check("harness", False, "%s: %s" % (type(e).__name__, e))
    print("DONE failures=%d" % kazoo_check.failures, flush=True)


if __name__ == "__main__":
    main()
