/**
 * A JVM for tsnap's Java-over-time tests: a thread "hot-worker" that spends its time in
 * HotMethod.burn, and five "blocked-N" threads BLOCKED on a monitor a "holder" thread keeps.
 * Prints "ready" once they are started, then runs until its standard input closes.
 */
public class HotMethod {
    static final Object MONITOR = new Object();
    static volatile long sink;

    public static void main(String[] args) throws Exception {
        Thread hot = new Thread(HotMethod::spin, "hot-worker");
        hot.setDaemon(true);
        hot.start();
        Thread holder = new Thread(() -> {
            synchronized (MONITOR) {
                sleepLong();
            }
        }, "holder");
        holder.setDaemon(true);
        holder.start();
        Thread.sleep(100);
        for (int i = 0; i < 5; i++) {
            Thread t = new Thread(HotMethod::waitForMonitor, "blocked-" + i);
            t.setDaemon(true);
            t.start();
        }
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
        }
    }

    static void spin() {
        while (true) {
            sink += burn(sink);
        }
    }

    static long burn(long seed) {
        long x = seed;
        for (int i = 0; i < 1_000_000; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
        }
        return x;
    }

    static void waitForMonitor() {
        synchronized (MONITOR) {
            sink++;
        }
    }

    static void sleepLong() {
        try {
            Thread.sleep(3_600_000);
        } catch (InterruptedException e) {
            // exits
        }
    }
}
