import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Threads for tsnap's tests of how it attaches (compiled with JDK 17's javac, run on JDK 17 or
 * 25: Java 21 APIs are reached through reflection). Each argument starts some:
 * "sleepers=N" N platform threads asleep, "spinner" a platform thread named hot-spinner that
 * spins, "virtual-spinner" a virtual thread that spins in VirtualSpin.spin (JDK 21+),
 * "emoji" a thread named with an emoji (U+1F600, a surrogate pair in Java). Prints "ready"
 * once all are started, then runs until its standard input closes.
 */
public class AttachCases {
    static volatile boolean running = true;

    public static void main(String[] args) throws Exception {
        List<Thread> started = new ArrayList<>();
        for (String arg : args) {
            if (arg.startsWith("sleepers=")) {
                int n = Integer.parseInt(arg.substring("sleepers=".length()));
                for (int i = 0; i < n; i++) {
                    started.add(platform("sleeper-" + i, AttachCases::sleep));
                }
            } else if (arg.equals("spinner")) {
                started.add(platform("hot-spinner", AttachCases::spin));
            } else if (arg.equals("emoji")) {
                started.add(platform("emoji-\uD83D\uDE00-thread", AttachCases::sleep));
            } else if (arg.equals("virtual-spinner")) {
                // Thread.ofVirtual().name("virtual-spinner").start(runnable), by reflection.
                Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
                Class<?> of = Class.forName("java.lang.Thread$Builder");
                builder = of.getMethod("name", String.class).invoke(builder, "virtual-spinner");
                Runnable spin = VirtualSpin::spin;
                of.getMethod("start", Runnable.class).invoke(builder, spin);
            } else {
                throw new IllegalArgumentException(arg);
            }
        }
        System.out.println("ready");
        InputStream in = System.in;
        while (in.read() >= 0) {
        }
        running = false;
    }

    static Thread platform(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void sleep() {
        try {
            Thread.sleep(3_600_000);
        } catch (InterruptedException e) {
        }
    }

    static long spin() {
        long n = 0;
        while (running) {
            n++;
        }
        return n;
    }
}

class VirtualSpin {
    static void spin() {
        long n = 0;
        while (AttachCases.running) {
            n++;
        }
        System.out.println(n);
    }
}
