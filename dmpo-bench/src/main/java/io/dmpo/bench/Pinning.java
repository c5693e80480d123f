package io.dmpo.bench;

import io.dmpo.nn.Affinity;
import io.dmpo.nn.Parallel;
import picocli.CommandLine.Option;

/**
 * The benchmarks' {@code --pin / --no-pin} (a picocli mixin) and the caller-side moves it implies: our threads on
 * their own CPUs, an anchor's calls unpinned (its work on the calling thread, and any thread it starts there, may use
 * every CPU, as it would without us).
 */
final class Pinning {
    @Option(names = "--pin", negatable = true,
            description = "pin our threads to distinct CPUs (default where the OS allows it; --no-pin leaves placement to the kernel, which on some VMs packs two engine threads onto one vCPU); anchors run unpinned")
    Boolean asked;

    private boolean on;

    /**
     * Decides once: as asked ({@code --pin} then fails, with the reason, where the OS does not allow it), and by default
     * wherever it is allowed — elsewhere a note on stderr says the threads were left unpinned.
     */
    boolean resolve() {
        if (asked != null) {
            on = asked;
        } else {
            String why = Affinity.unavailableReason();
            if (why != null) System.err.println("dmpo bench: note: threads not pinned (" + why + ")");
            on = why == null;
        }
        return on;
    }

    boolean on() {
        return on;
    }

    /** Runs an anchor's part with the caller unpinned, and pins the caller again afterwards. */
    void unpinnedDuring(Runnable anchorPart) {
        if (!on) {
            anchorPart.run();
            return;
        }
        Affinity.unpinCurrentThread();
        try {
            anchorPart.run();
        } finally {
            Parallel.pinCaller();
        }
    }
}
