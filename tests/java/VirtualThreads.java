import java.lang.reflect.Method;
import java.util.concurrent.locks.LockSupport;

/**
 * Virtual threads for tsnap's tests, reached through reflection (javac is JDK 17's, the JVM
 * JDK 21 or later): N of them (the first argument, default 10,000) parked, and with "spin",
 * one more that spins, mounted on its carrier. Prints "ready" once all are started, then runs
 * until its standard input closes.
 */
public class VirtualThreads {
    static volatile boolean spinning = true;

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Method ofVirtual = Thread.class.getMethod("ofVirtual");
        Object builder = ofVirtual.invoke(null);
        // The public interface's method: the builder's class is not exported.
        Method unstarted =
                Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class);
        Thread[] threads = new Thread[count];
        for (int i = 0; i < count; i++) {
            threads[i] = (Thread) unstarted.invoke(builder, (Runnable) VirtualThreads::park);
            threads[i].start();
        }
        if (args.length > 1 && args[1].equals("spin")) {
            Thread spinner = (Thread) unstarted.invoke(builder, (Runnable) VirtualThreads::spin);
            spinner.start();
        }
        for (Thread t : threads) {
            while (t.getState() != Thread.State.WAITING) {
                Thread.sleep(1);
            }
        }
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // Runs until the test closes our stdin.
        }
        System.exit(0);
    }

    static void park() {
        while (true) {
            LockSupport.park();
        }
    }

    static void spin() {
        long n = 0;
        while (spinning) {
            n++;
        }
        System.out.println(n);
    }
}
