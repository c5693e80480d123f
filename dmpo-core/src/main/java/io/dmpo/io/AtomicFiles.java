package io.dmpo.io;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes a file completely or not at all: data goes to a temporary sibling, is synced, then renamed over the target.
 * The target must be a regular file or absent (a device node, FIFO, directory or symbolic link is refused, never
 * replaced); the new file gets the usual {@code rw-r--r--} (or the replaced file's permissions). Errors name the
 * caller's path, never the temporary file, and say what went wrong in words (permission denied, no space left).
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes a file by path (for libraries that open the file themselves, like jhdf's writer). */
    @FunctionalInterface
    public interface PathWriter {
        void write(Path file) throws IOException;
    }

    private static final Set<PosixFilePermission> SHARED = PosixFilePermissions.fromString("rw-r--r--");

    public static void write(Path target, Writer writer) throws IOException {
        writePath(target, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
                writer.write(out);
                out.flush();
                ch.force(true);
            }
        });
    }

    /**
     * Has {@code writer} write a temporary sibling of {@code target}, then renames it over the target. The temporary
     * file is removed on any failure, so nothing half-written is ever left under either name.
     */
    public static void writePath(Path target, PathWriter writer) throws IOException {
        checkTarget(target);
        Path dir = target.toAbsolutePath().getParent();
        try {
            if (dir != null) Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException(target + ": cannot create its directory: " + describe(e), e);
        }
        Set<PosixFilePermission> perms = SHARED;
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            try {
                perms = Files.getPosixFilePermissions(target);
            } catch (UnsupportedOperationException | IOException e) {
                perms = SHARED; // keep the default when the old mode cannot be read
            }
        }
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        } catch (IOException e) {
            throw new IOException(target + ": cannot write: " + describe(e), e);
        }
        try {
            writer.write(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true); // on disk before the rename makes it visible
            }
            try {
                Files.setPosixFilePermissions(tmp, perms);
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the platform default stays
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UncheckedIOException e) {
            IOException io = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            throw new IOException(target + ": cannot write: " + describe(io, tmp), io);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Gives a directory made by {@code Files.createTempDirectory} (owner-only) the usual {@code rwxr-xr-x}. */
    public static void shareDirectory(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the platform default stays
        }
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /**
     * Refuses targets that must not be replaced by a rename: anything that exists and is not a regular file (a
     * directory such as {@code /}, a device node, a FIFO, a socket, a symbolic link).
     */
    public static void checkTarget(Path target) throws IOException {
        if (target.getFileName() == null) throw new IOException(target + ": is a directory, not a file");
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) return;
        if (Files.isSymbolicLink(target)) {
            throw new IOException(target + ": is a symbolic link; refusing to replace it (write to the file it points to)");
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) throw new IOException(target + ": is a directory, not a file");
        if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(target + ": is not a regular file (a device, FIFO or socket); refusing to replace it");
        }
    }

    /**
     * Checks an output file a user named before any work starts: refused if not a regular file (see
     * {@link #checkTarget}), and, unless {@code overwrite}, if it exists. Returns null when fine, else the problem.
     */
    public static String outputProblem(Path target, boolean overwrite) {
        try {
            checkTarget(target);
        } catch (IOException e) {
            return e.getMessage();
        }
        if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return target + ": exists; pass --force to overwrite it";
        }
        Path dir = target.toAbsolutePath().getParent();
        while (dir != null && !Files.exists(dir)) dir = dir.getParent();
        if (dir != null && !Files.isDirectory(dir)) return target + ": " + dir + " is not a directory";
        if (dir != null && !Files.isWritable(dir)) return target + ": permission denied (cannot write in " + dir + ")";
        return null;
    }

    /** An I/O failure in words: "permission denied", "no space left on device", "no such file or directory: x". */
    public static String describe(IOException e) {
        return describe(e, null);
    }

    /** As {@link #describe(IOException)}, leaving out the name of {@code hidden} (our temporary file). */
    static String describe(IOException e, Path hidden) {
        String file = e instanceof FileSystemException f ? f.getFile() : null;
        if (file != null && hidden != null && (file.equals(hidden.toString()) || file.equals(hidden.toAbsolutePath().toString()))) {
            file = null;
        }
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (m.contains("No space left")) return "no space left on device";
        if (e instanceof AccessDeniedException) return "permission denied" + (file != null ? " (" + file + ")" : "");
        if (e instanceof NoSuchFileException) return "no such file or directory" + (file != null ? ": " + file : "");
        if (e instanceof NotDirectoryException) return "not a directory" + (file != null ? ": " + file : "");
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(java.util.Locale.ROOT) + (file != null ? " (" + file + ")" : "");
        }
        if (m.isBlank()) return e.getClass().getSimpleName();
        if (hidden != null) m = m.replace(hidden.toAbsolutePath().toString(), "").replace(hidden.toString(), "");
        return m;
    }
}
