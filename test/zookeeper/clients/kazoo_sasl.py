"""kazoo 2.8 with pure-sasl logging in with SASL DIGEST-MD5. Arguments: connect string, user, password, mode
(good | bad). Prints "CHECK <name> ok|FAIL ..." lines and DONE."""
import sys
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import make_acl

hosts, user, password, mode = sys.argv[1:5]


def check(name, ok, detail=''):
    print('CHECK %s %s' % (name, 'ok' if ok else 'FAIL %s' % detail), flush=True)


sasl = {'mechanism': 'DIGEST-MD5', 'username': user, 'password': password}
zk = KazooClient(hosts=hosts, sasl_options=sasl, connection_retry={'max_tries': 0}, timeout=10)
try:
    if mode == 'good':
        zk.start(timeout=15)
        acl = [make_acl('sasl', user, all=True)]
        zk.create('/sasl-kazoo', b'secret', acl=acl)
        data, _ = zk.get('/sasl-kazoo')
        check('read-sasl-acl', data == b'secret', repr(data))
        anon = KazooClient(hosts=hosts, timeout=10)
        anon.start(timeout=15)
        try:
            anon.get('/sasl-kazoo')
            check('anonymous-noauth', False, 'read without SASL')
        except NoAuthError:
            check('anonymous-noauth', True)
        anon.stop()
        zk.delete('/sasl-kazoo')
        zk.stop()
    else:
        # kazoo reports CONNECTED before its SASL exchange; AUTHFAILED then makes it stop connecting: LOST
        states = []
        zk.add_listener(lambda state: states.append(state))
        try:
            zk.start(timeout=15)
        except Exception:
            pass
        deadline = time.time() + 10
        while 'LOST' not in states and time.time() < deadline:
            time.sleep(0.05)
        check('auth-failed', 'LOST' in states and not zk.connected, 'states %r connected %r' % (states, zk.connected))
        zk.stop()
except Exception as e:
    check('exception', False, repr(e))
print('DONE', flush=True)
