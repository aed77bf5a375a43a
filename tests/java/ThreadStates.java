import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Named threads in known states for tsnap's JVM tests. Prints "ready" once every thread is
 * started, then runs until its standard input closes. With the argument "calm", there is no
 * spinner, so that the JVM takes no CPU from other tests.
 */
public class ThreadStates {
    static final Object MONITOR = new Object();
    static final ReentrantLock LOCK = new ReentrantLock();
    static volatile boolean spinning = true;

    public static void main(String[] args) throws Exception {
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        Socket accepted = server.accept();
        CountDownLatch held = new CountDownLatch(2);

        start("socket-reader-thread", () -> {
            InputStream in = accepted.getInputStream();
            in.read();
        });
        start("sleeper", () -> Thread.sleep(3_600_000));
        if (!Arrays.asList(args).contains("calm")) {
            start("spinner", () -> {
                long n = 0;
                while (spinning) {
                    n++;
                }
                System.out.println(n);
            });
        }
        start("monitor-holder", () -> {
            synchronized (MONITOR) {
                held.countDown();
                Thread.sleep(3_600_000);
            }
        });
        start("lock-holder", () -> {
            LOCK.lock();
            held.countDown();
            Thread.sleep(3_600_000);
        });
        held.await();
        start("monitor-waiter-with-a-long-name", () -> {
            synchronized (MONITOR) {
                System.out.println("entered");
            }
        });
        start("parked-on-reentrant-lock", () -> {
            LOCK.lock();
        });
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // Runs until the test closes our stdin.
        }
        client.close();
        System.exit(0);
    }

    interface Body {
        void run() throws Exception;
    }

    static void start(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                // Interrupted at exit.
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }
}
