// The Apache ZooKeeper Java client 3.8 logging in with SASL DIGEST-MD5 (the JAAS file's Client section, given by
// -Djava.security.auth.login.config). Arguments: connect string, mode (good | bad). Prints "CHECK <name> ok|FAIL ..."
// lines and DONE.
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

public class JavaSaslCheck {
  static void check(String name, boolean ok, String detail) {
    System.out.println("CHECK " + name + (ok ? " ok" : " FAIL " + detail));
  }

  /** Waits up to 20 s for one of the states. */
  static KeeperState await(LinkedBlockingQueue<KeeperState> q, KeeperState... want) throws InterruptedException {
    long end = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < end) {
      KeeperState s = q.poll(end - System.currentTimeMillis(), TimeUnit.MILLISECONDS);
      if (s == null) return null;
      for (KeeperState w : want) if (s == w) return s;
    }
    return null;
  }

  public static void main(String[] args) throws Exception {
    String hosts = args[0];
    String mode = args[1];
    LinkedBlockingQueue<KeeperState> states = new LinkedBlockingQueue<>();
    ZooKeeper zk = new ZooKeeper(hosts, 10_000, (WatchedEvent e) -> states.add(e.getState()));
    try {
      if (mode.equals("good")) {
        KeeperState s = await(states, KeeperState.SaslAuthenticated, KeeperState.AuthFailed);
        check("sasl-authenticated", s == KeeperState.SaslAuthenticated, "state " + s);
        List<ACL> acl = new java.util.ArrayList<>(List.of(new ACL(Perms.ALL, new Id("sasl", "bob"))));
        zk.create("/sasl-java", "secret".getBytes(StandardCharsets.UTF_8), acl, CreateMode.PERSISTENT);
        String data = new String(zk.getData("/sasl-java", false, null), StandardCharsets.UTF_8);
        check("read-sasl-acl", data.equals("secret"), "data " + data);
        List<ACL> got = zk.getACL("/sasl-java", new Stat());
        check("getACL", got.equals(acl), "acl " + got);
        String who = zk.whoAmI().toString();
        check("whoAmI", who.contains("sasl") && who.contains("bob"), who);
        // a second client with SASL switched off: no sasl id, so no READ
        ZKClientConfig noSasl = new ZKClientConfig();
        noSasl.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false");
        LinkedBlockingQueue<KeeperState> states2 = new LinkedBlockingQueue<>();
        ZooKeeper anon = new ZooKeeper(hosts, 10_000, (WatchedEvent e) -> states2.add(e.getState()), noSasl);
        try {
          await(states2, KeeperState.SyncConnected);
          try {
            anon.getData("/sasl-java", false, null);
            check("anonymous-noauth", false, "read without SASL");
          } catch (KeeperException.NoAuthException e) {
            check("anonymous-noauth", true, "");
          }
        } finally {
          anon.close();
        }
        zk.delete("/sasl-java", -1);
      } else {
        KeeperState s = await(states, KeeperState.SaslAuthenticated, KeeperState.AuthFailed);
        check("sasl-auth-failed", s == KeeperState.AuthFailed, "state " + s);
        check("state-auth-failed", zk.getState() == ZooKeeper.States.AUTH_FAILED, "client state " + zk.getState());
      }
    } catch (Exception e) {
      check("exception", false, e.toString() + " at " + java.util.Arrays.toString(e.getStackTrace()).substring(0, 600));
    } finally {
      zk.close();
    }
    System.out.println("DONE");
    System.exit(0);
  }
}
