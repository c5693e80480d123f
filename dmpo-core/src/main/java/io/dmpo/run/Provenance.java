package io.dmpo.run;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/** Where a result came from: the code's git commit and the SHA-256 of its input files. */
public final class Provenance {
    private Provenance() {}

    /**
     * The git commit of the dmpo checkout ({@code -Ddmpo.home}, set by the launcher), with {@code -dirty} when tracked
     * files have uncommitted changes; {@code "unknown"} outside a git checkout (e.g. a jar on a robot computer).
     */
    public static String gitCommit() {
        String home = System.getProperty("dmpo.home", ".");
        if (!Files.isDirectory(Path.of(home, ".git")) && !Files.isRegularFile(Path.of(home, ".git"))) return "unknown";
        String head = git(home, "rev-parse", "HEAD");
        if (head == null || !head.matches("[0-9a-f]{40}")) return "unknown";
        String dirty = git(home, "status", "--porcelain", "--untracked-files=no");
        return head + (dirty == null || dirty.isEmpty() ? "" : "-dirty");
    }

    private static String git(String home, String... args) {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "git";
        cmd[1] = "-C";
        cmd[2] = home;
        System.arraycopy(args, 0, cmd, 3, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? out : null;
        } catch (IOException e) { // no git on this machine
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Hex SHA-256 of a file's bytes. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
