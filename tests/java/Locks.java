import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Threads in known lock relations for tsnap's lock tests: "lock-holder" holds a ReentrantLock
 * that "lock-waiter" parks on; "monitor-holder" holds a monitor that "monitor-waiter-0" to
 * "monitor-waiter-19" are blocked on; "deadlock-a" and "deadlock-b" hold one monitor each and
 * wait for the other's. With the argument "heap N", it also keeps N MiB of live objects. Prints
 * "ready" once every waiter waits, then runs until its standard input closes.
 */
public class Locks {
    static final ReentrantLock LOCK = new ReentrantLock();
    static final Object MONITOR = new Object();
    static final Object A = new Object();
    static final Object B = new Object();
    static final List<Object> KEPT = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("heap")) {
            // Small objects, many of them: what the heap walk of -l visits.
            long count = Long.parseLong(args[1]) * 1024 * 1024 / 48;
            for (long i = 0; i < count; i++) {
                KEPT.add(new int[4]);
            }
        }
        List<Thread> waiters = new ArrayList<>();
        Object gate = new Object();
        start("lock-holder", () -> {
            LOCK.lock();
            Thread.sleep(3_600_000);
        });
        start("monitor-holder", () -> {
            synchronized (MONITOR) {
                Thread.sleep(3_600_000);
            }
        });
        while (!LOCK.isLocked()) {
            Thread.sleep(10);
        }
        Thread.sleep(200);
        waiters.add(start("lock-waiter", () -> LOCK.lock()));
        for (int i = 0; i < 20; i++) {
            waiters.add(start("monitor-waiter-" + i, () -> {
                synchronized (MONITOR) {
                    System.out.println("entered");
                }
            }));
        }
        Thread a = start("deadlock-a", () -> {
            synchronized (A) {
                Thread.sleep(300);
                synchronized (B) {
                    System.out.println("a");
                }
            }
        });
        Thread b = start("deadlock-b", () -> {
            synchronized (B) {
                Thread.sleep(300);
                synchronized (A) {
                    System.out.println("b");
                }
            }
        });
        waiters.add(a);
        waiters.add(b);
        for (Thread t : waiters) {
            while (t.getState() != Thread.State.BLOCKED && t.getState() != Thread.State.WAITING) {
                Thread.sleep(10);
            }
        }
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // Runs until the test closes our stdin.
        }
        System.exit(0);
    }

    interface Body {
        void run() throws Exception;
    }

    static Thread start(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                // Interrupted at exit.
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
