package io.dmpo.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Atomic writes: never replace what is not a regular file, leave nothing half-written, name the user's path. */
class AtomicFilesTest {
    @TempDir
    Path tmp;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void newFilesAreSharedReadableAndReplacedFilesKeepTheirMode() throws IOException {
        Path f = tmp.resolve("out.json");
        AtomicFiles.writeString(f, "one");
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        AtomicFiles.writeString(f, "two");
        assertEquals("two", Files.readString(f));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(List.of("out.json"), names());
    }

    @Test
    void nonRegularTargetsAreRefusedAndLeftAlone() throws Exception {
        Path target = tmp.resolve("real");
        Files.writeString(target, "keep");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        Path fifo = tmp.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Path dir = Files.createDirectory(tmp.resolve("dir"));
        for (Path p : List.of(link, fifo, dir, Path.of("/dev/null"), Path.of("/"))) {
            IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(p, "x"), p.toString());
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
            assertNotNull(AtomicFiles.outputProblem(p, true), p.toString());
        }
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("keep", Files.readString(target));
        assertTrue(Files.isDirectory(dir));
        assertEquals(List.of("dir", "fifo", "link", "real"), names());
    }

    @Test
    void existingOutputsNeedForceAndMissingParentsAreFine() throws IOException {
        Path f = Files.writeString(tmp.resolve("data.h5"), "x");
        assertTrue(AtomicFiles.outputProblem(f, false).contains("--force"));
        assertNull(AtomicFiles.outputProblem(f, true));
        assertNull(AtomicFiles.outputProblem(tmp.resolve("a/b/new.h5"), false));
        String m = AtomicFiles.outputProblem(f.resolve("below-a-file.h5"), false);
        assertTrue(m.contains("is not a directory"), m);
    }

    @Test
    void aFailedWriteNamesTheTargetInWordsAndLeavesNothing() throws IOException {
        Path f = tmp.resolve("model.onnx");
        Files.writeString(f, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[100]);
            throw new IOException("No space left on device");
        }));
        assertEquals(f + ": cannot write: no space left on device", e.getMessage());
        assertEquals("old", Files.readString(f), "the old file survives a failed write");
        assertEquals(List.of("model.onnx"), names(), "no temporary file left");
    }
}
