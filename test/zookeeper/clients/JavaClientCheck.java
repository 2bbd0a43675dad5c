// The Apache ZooKeeper Java client (Debian's libzookeeper-java 3.8) against a conclave ensemble.
// Run as a single source file: java -cp "$CP" JavaClientCheck.java <connectString> <root>
// Prints one line per check: "CHECK <name> ok" or "CHECK <name> FAIL <detail>", then "DONE".
// For the reconnect check it prints "KILL <sessionIdHex>" and waits for a line on stdin (the harness stops the
// server the session is on and answers "KILLED").
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Stat;

public class JavaClientCheck {
    static final int sessionTimeoutMs = 30_000;
    static final long stepTimeoutMs = 20_000;
    /** Requests kept outstanding at once by the pipelining check. */
    static final int outstandingRequests = 600;
    /** Exist watches set before the reconnect; long paths so SetWatches needs more than one 128 KB batch. */
    static final int reconnectWatchesCount = 1_500;

    static int failures = 0;

    static void check(String name, boolean ok, String detail) {
        if (ok) System.out.println("CHECK " + name + " ok");
        else {
            failures++;
            System.out.println("CHECK " + name + " FAIL " + detail);
        }
        System.out.flush();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static ZooKeeper connect(String hosts, ConcurrentLinkedQueue<WatchedEvent> events) throws Exception {
        CountDownLatch up = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(hosts, sessionTimeoutMs, (WatchedEvent e) -> {
            if (e.getType() == Watcher.Event.EventType.None) {
                if (e.getState() == Watcher.Event.KeeperState.SyncConnected) up.countDown();
            } else if (events != null) {
                events.add(e);
            }
        });
        if (!up.await(stepTimeoutMs, TimeUnit.MILLISECONDS)) throw new IllegalStateException("no connection to " + hosts);
        return zk;
    }

    static boolean waitFor(ConcurrentLinkedQueue<WatchedEvent> q, Watcher.Event.EventType type, String path) throws InterruptedException {
        long end = System.currentTimeMillis() + stepTimeoutMs;
        while (System.currentTimeMillis() < end) {
            for (WatchedEvent e : q) if (e.getType() == type && path.equals(e.getPath())) return true;
            Thread.sleep(20);
        }
        return false;
    }

    static String describe(List<OpResult> rs) {
        List<String> out = new ArrayList<>();
        for (OpResult r : rs) {
            if (r instanceof OpResult.ErrorResult) out.add("Error(" + ((OpResult.ErrorResult) r).getErr() + ")");
            else if (r instanceof OpResult.CreateResult) out.add("Create(" + ((OpResult.CreateResult) r).getPath() + ")");
            else if (r instanceof OpResult.GetDataResult) out.add("GetData(" + new String(((OpResult.GetDataResult) r).getData(), StandardCharsets.UTF_8) + ")");
            else if (r instanceof OpResult.GetChildrenResult) {
                List<String> c = new ArrayList<>(((OpResult.GetChildrenResult) r).getChildren());
                Collections.sort(c);
                out.add("GetChildren(" + String.join(",", c) + ")");
            } else out.add(r.getClass().getSimpleName() + "(" + r.getType() + ")");
        }
        return String.join(" ", out);
    }

    public static void main(String[] args) throws Exception {
        String hosts = args[0];
        String root = args[1];
        ConcurrentLinkedQueue<WatchedEvent> events = new ConcurrentLinkedQueue<>();
        ZooKeeper zk = connect(hosts, events);
        long session = zk.getSessionId();
        check("connect", session != 0 && zk.getSessionTimeout() > 0, "session " + session + " timeout " + zk.getSessionTimeout());

        zk.create(root, b("r"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);

        // create2 (opcode 15): the Stat comes back with the path.
        Stat st = new Stat();
        String p2 = zk.create(root + "/c2", b("v0"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, st);
        check("create2", p2.equals(root + "/c2") && st.getCzxid() > 0 && st.getDataLength() == 2 && st.getVersion() == 0, p2 + " " + st);

        // Many outstanding async requests on one session: setData(i) then getData, alternating; every reply in order,
        // and every getData sees the setData the same session sent just before it (ZooKeeper orders a session's
        // requests: a read waits for that session's earlier writes).
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger stale = new AtomicInteger();
        AtomicInteger outOfOrder = new AtomicInteger();
        AtomicInteger lastSeq = new AtomicInteger(-1);
        AtomicReference<String> firstProblem = new AtomicReference<>();
        CountDownLatch all = new CountDownLatch(outstandingRequests * 2);
        for (int i = 0; i < outstandingRequests; i++) {
            final int seq = i;
            zk.setData(root + "/c2", b("v" + i), -1, (int rc, String path, Object ctx, Stat s) -> {
                if (rc != 0) { errors.incrementAndGet(); firstProblem.compareAndSet(null, "setData rc " + rc); }
                if (lastSeq.getAndSet(2 * seq) != 2 * seq - 1) outOfOrder.incrementAndGet();
                all.countDown();
            }, null);
            zk.getData(root + "/c2", false, (int rc, String path, Object ctx, byte[] data, Stat s) -> {
                if (rc != 0) { errors.incrementAndGet(); firstProblem.compareAndSet(null, "getData rc " + rc); }
                else if (!new String(data, StandardCharsets.UTF_8).equals("v" + seq)) {
                    stale.incrementAndGet();
                    firstProblem.compareAndSet(null, "getData after setData v" + seq + " read " + new String(data, StandardCharsets.UTF_8));
                }
                if (lastSeq.getAndSet(2 * seq + 1) != 2 * seq) outOfOrder.incrementAndGet();
                all.countDown();
            }, null);
        }
        boolean done = all.await(60_000, TimeUnit.MILLISECONDS);
        check("async-pipeline", done && errors.get() == 0 && outOfOrder.get() == 0,
                "done=" + done + " errors=" + errors + " outOfOrder=" + outOfOrder + " first=" + firstProblem.get());
        check("async-read-your-writes", done && stale.get() == 0, "stale=" + stale + " first=" + firstProblem.get());

        // multi with a failing op: the exception carries per-op results 0 / NODEEXISTS / RUNTIMEINCONSISTENCY.
        try {
            zk.multi(Arrays.asList(
                    Op.create(root + "/m1", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                    Op.create(root + "/c2", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                    Op.setData(root + "/c2", b("x"), -1)));
            check("multi-failure", false, "multi succeeded");
        } catch (KeeperException e) {
            String got = describe(e.getResults());
            check("multi-failure", e.code() == KeeperException.Code.NODEEXISTS && got.equals("Error(0) Error(-110) Error(-2)"), e.code() + " " + got);
        }
        check("multi-rolled-back", zk.exists(root + "/m1", false) == null, "m1 exists");
        // multi that succeeds: create, setData, check, delete.
        List<OpResult> okResults = zk.multi(Arrays.asList(
                Op.create(root + "/m2", b("a"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.setData(root + "/m2", b("b"), 0),
                Op.check(root + "/m2", 1),
                Op.delete(root + "/m2", 1)));
        check("multi-success", describe(okResults).equals("Create(" + root + "/m2) SetDataResult(5) CheckResult(13) DeleteResult(2)"), describe(okResults));
        // Async multi failure: the callback gets the error code and the per-op results.
        CountDownLatch am = new CountDownLatch(1);
        AtomicReference<String> amr = new AtomicReference<>();
        zk.multi(Arrays.asList(Op.check(root + "/c2", 12345), Op.delete(root + "/nope", -1)),
                (int rc, String path, Object ctx, List<OpResult> rs) -> { amr.set(rc + " " + describe(rs)); am.countDown(); }, null);
        am.await(stepTimeoutMs, TimeUnit.MILLISECONDS);
        check("multi-async-failure", "-103 Error(-103) Error(-2)".equals(amr.get()), String.valueOf(amr.get()));

        // multiRead (opcode 22; multi() of read ops only sends it): per-op results, an error for the missing node.
        zk.create(root + "/r", b("rd"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.create(root + "/r/k1", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.create(root + "/r/k2", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        List<OpResult> mr = zk.multi(Arrays.asList(Op.getData(root + "/r"), Op.getChildren(root + "/r"), Op.getData(root + "/missing")));
        check("multiRead", describe(mr).equals("GetData(rd) GetChildren(k1,k2) Error(-101)"), describe(mr));

        // getEphemerals (103), getAllChildrenNumber (104), whoAmI (107).
        zk.create(root + "/e1", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        String es = zk.create(root + "/e-", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);
        List<String> eph = new ArrayList<>(zk.getEphemerals(root));
        Collections.sort(eph);
        check("getEphemerals", eph.equals(Arrays.asList(es, root + "/e1")), eph.toString());
        int total = zk.getAllChildrenNumber(root);
        // c2, r, r/k1, r/k2, e1, e-N
        check("getAllChildrenNumber", total == 6, "total " + total);
        zk.addAuthInfo("digest", b("javauser:pw"));
        List<ClientInfo> who = zk.whoAmI();
        boolean hasDigest = false;
        boolean hasIp = false;
        for (ClientInfo ci : who) {
            if (ci.getAuthScheme().equals("digest") && ci.getUser().equals("javauser")) hasDigest = true;
            if (ci.getAuthScheme().equals("ip") && ci.getUser().equals("127.0.0.1")) hasIp = true;
        }
        StringBuilder whoText = new StringBuilder();
        for (ClientInfo ci : who) whoText.append(ci.getAuthScheme()).append(':').append(ci.getUser()).append(' ');
        check("whoAmI", hasDigest && hasIp, whoText.toString());

        // ACL: creator-only node readable by this session; getACL shows the digest id.
        zk.create(root + "/secret", b("s"), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
        Stat aclStat = new Stat();
        String aclText = zk.getACL(root + "/secret", aclStat).toString();
        check("acl-creator", aclText.contains("digest") && aclText.contains("javauser:") && new String(zk.getData(root + "/secret", false, null), StandardCharsets.UTF_8).equals("s"), aclText);

        // TTL (createTTL, 21) and container (19) nodes; clients see ephemeralOwner 0 for both.
        Stat ttlStat = new Stat();
        String ttlPath = zk.create(root + "/ttl", b("t"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, ttlStat, 60_000);
        check("createTTL", ttlPath.equals(root + "/ttl") && ttlStat.getEphemeralOwner() == 0 && zk.exists(ttlPath, false) != null, ttlPath + " " + ttlStat);
        String seqTtl = zk.create(root + "/ttls-", b("t"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, new Stat(), 60_000);
        check("createTTL-sequential", seqTtl.matches(java.util.regex.Pattern.quote(root) + "/ttls-\\d{10}"), seqTtl);
        try {
            zk.create(root + "/ttlbad", b("t"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, new Stat(), 0);
            check("createTTL-bad-ttl", false, "ttl 0 accepted");
        } catch (IllegalArgumentException | KeeperException e) {
            check("createTTL-bad-ttl", true, "");
        }
        String cont = zk.create(root + "/container", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
        Stat cst = zk.exists(cont, false);
        check("createContainer", cont.equals(root + "/container") && cst != null && cst.getEphemeralOwner() == 0, cont + " " + cst);

        // sync (9), async.
        CountDownLatch syncDone = new CountDownLatch(1);
        AtomicReference<String> syncRes = new AtomicReference<>();
        zk.sync(root, (int rc, String path, Object ctx) -> { syncRes.set(rc + " " + path); syncDone.countDown(); }, null);
        syncDone.await(stepTimeoutMs, TimeUnit.MILLISECONDS);
        check("sync", (0 + " " + root).equals(syncRes.get()), String.valueOf(syncRes.get()));

        // getChildren2 (12): children with the parent's Stat.
        Stat parentStat = new Stat();
        List<String> kids = zk.getChildren(root + "/r", false, parentStat);
        check("getChildren2", kids.size() == 2 && parentStat.getNumChildren() == 2 && parentStat.getCversion() == 2, kids + " " + parentStat);

        // Data near jute.maxbuffer round-trips; a request over it drops the connection (ConnectionLoss), not the session.
        byte[] big = new byte[1_000_000];
        Arrays.fill(big, (byte) 'b');
        zk.create(root + "/big", big, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        check("large-data", Arrays.equals(zk.getData(root + "/big", false, null), big), "");
        try {
            zk.setData(root + "/big", new byte[1_100_000], -1);
            check("over-maxbuffer", false, "accepted");
        } catch (KeeperException.ConnectionLossException e) {
            Stat still = null;
            long until = System.currentTimeMillis() + stepTimeoutMs;
            while (still == null && System.currentTimeMillis() < until) {
                try {
                    still = zk.exists(root + "/big", false);
                } catch (KeeperException.ConnectionLossException again) {
                    Thread.sleep(100);
                }
            }
            check("over-maxbuffer", still != null && still.getDataLength() == big.length && zk.getSessionId() == session, String.valueOf(still));
        }

        // A resume with the wrong password is refused as expired; the session itself lives on.
        CountDownLatch badResume = new CountDownLatch(1);
        ZooKeeper impostor = new ZooKeeper(hosts, sessionTimeoutMs, (WatchedEvent e) -> {
            if (e.getState() == Watcher.Event.KeeperState.Expired) badResume.countDown();
        }, session, new byte[16]);
        check("resume-bad-password-expired", badResume.await(stepTimeoutMs, TimeUnit.MILLISECONDS), "");
        impostor.close();
        check("session-unaffected", zk.exists(root, false) != null && zk.getSessionId() == session, "");

        // getConfig reads /zookeeper/config.
        try {
            zk.getConfig(false, new Stat());
            check("getConfig", true, "");
        } catch (KeeperException e) {
            check("getConfig", false, e.toString());
        }

        // Watches, then a reconnect to another server: SetWatches (several 128 KB batches, xid -8) re-arms them.
        zk.create(root + "/w", b("w0"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.getData(root + "/w", true, null);
        zk.getChildren(root + "/w", true);
        // addWatch (106) persistent recursive: every change below, never NodeChildrenChanged; kept across the move
        // (the Java client then re-registers with setWatches2).
        ConcurrentLinkedQueue<WatchedEvent> rec = new ConcurrentLinkedQueue<>();
        Watcher recWatcher = rec::add;
        zk.create(root + "/pr", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.addWatch(root + "/pr", recWatcher, AddWatchMode.PERSISTENT_RECURSIVE);
        zk.create(root + "/pr/a", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.create(root + "/pr/a/b", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.setData(root + "/pr/a", b("x"), -1);
        boolean recOk = waitFor(rec, Watcher.Event.EventType.NodeCreated, root + "/pr/a")
                && waitFor(rec, Watcher.Event.EventType.NodeCreated, root + "/pr/a/b")
                && waitFor(rec, Watcher.Event.EventType.NodeDataChanged, root + "/pr/a");
        boolean noChildEvents = rec.stream().noneMatch(e -> e.getType() == Watcher.Event.EventType.NodeChildrenChanged);
        check("addWatch-recursive", recOk && noChildEvents, rec.toString());
        String pad = "p".repeat(100);
        for (int i = 0; i < reconnectWatchesCount; i++) zk.exists(root + "/x-" + pad + "-" + i, true);
        System.out.println("KILL " + Long.toHexString(session));
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String answer = in.readLine();
        check("harness", "KILLED".equals(answer), String.valueOf(answer));
        // Retry until reconnected (ConnectionLoss while moving).
        Stat after = null;
        long end = System.currentTimeMillis() + 30_000;
        while (after == null && System.currentTimeMillis() < end) {
            try {
                after = zk.exists(root + "/w", false);
            } catch (KeeperException.ConnectionLossException e) {
                Thread.sleep(100);
            }
        }
        check("reconnect-same-session", after != null && zk.getSessionId() == session && zk.getState().isConnected(), "state " + zk.getState());
        ZooKeeper other = connect(hosts, null);
        other.setData(root + "/w", b("w1"), -1);
        other.create(root + "/w/kid", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        other.create(root + "/x-" + pad + "-" + (reconnectWatchesCount - 1), b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        other.create(root + "/x-" + pad + "-0", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        check("watch-data-after-reconnect", waitFor(events, Watcher.Event.EventType.NodeDataChanged, root + "/w"), events.toString());
        check("watch-children-after-reconnect", waitFor(events, Watcher.Event.EventType.NodeChildrenChanged, root + "/w"), events.toString());
        check("watch-exists-first-batch", waitFor(events, Watcher.Event.EventType.NodeCreated, root + "/x-" + pad + "-0"), "");
        check("watch-exists-last-batch", waitFor(events, Watcher.Event.EventType.NodeCreated, root + "/x-" + pad + "-" + (reconnectWatchesCount - 1)), "");
        check("ephemeral-kept", zk.exists(root + "/e1", false) != null, "");
        other.setData(root + "/pr/a/b", b("moved"), -1);
        check("addWatch-after-reconnect", waitFor(rec, Watcher.Event.EventType.NodeDataChanged, root + "/pr/a/b"), rec.toString());
        // removeWatches (18): the server drops it; the client reports PersistentWatchRemoved; later changes fire nothing.
        zk.removeWatches(root + "/pr", recWatcher, Watcher.WatcherType.Any, false);
        boolean removedEvent = waitFor(rec, Watcher.Event.EventType.PersistentWatchRemoved, root + "/pr");
        int before = rec.size();
        other.setData(root + "/pr/a", b("after-remove"), -1);
        zk.sync(root, (int rc, String path, Object ctx) -> { }, null);
        zk.exists(root + "/pr/a", false);
        Thread.sleep(300);
        check("removeWatches", removedEvent && rec.size() == before, rec.toString());
        other.close();

        // closeSession: ephemerals go; resuming the closed session is answered as expired.
        byte[] passwd = zk.getSessionPasswd();
        zk.close();
        CountDownLatch expired = new CountDownLatch(1);
        ZooKeeper resumed = new ZooKeeper(hosts, sessionTimeoutMs, (WatchedEvent e) -> {
            if (e.getState() == Watcher.Event.KeeperState.Expired) expired.countDown();
        }, session, passwd);
        check("resume-closed-session-expired", expired.await(stepTimeoutMs, TimeUnit.MILLISECONDS), "");
        resumed.close();
        ZooKeeper third = connect(hosts, null);
        long end2 = System.currentTimeMillis() + stepTimeoutMs;
        Stat gone = third.exists(root + "/e1", false);
        while (gone != null && System.currentTimeMillis() < end2) {
            Thread.sleep(50);
            gone = third.exists(root + "/e1", false);
        }
        check("close-removes-ephemerals", gone == null, "");
        third.close();
        System.out.println("DONE failures=" + failures);
        System.out.flush();
        System.exit(0);
    }
}
