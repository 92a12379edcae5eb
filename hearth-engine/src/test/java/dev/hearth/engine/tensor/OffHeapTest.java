package dev.hearth.engine.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class OffHeapTest {

    @Test
    void allocatedMemoryIsZeroedAndWritable() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = OffHeap.allocate(5L << 20, arena); // above the huge-page threshold
            assertEquals(5L << 20, s.byteSize());
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, (5L << 20) - 1));
            s.set(ValueLayout.JAVA_LONG, 8, 42L);
            assertEquals(42L, s.get(ValueLayout.JAVA_LONG, 8));
        }
    }

    /** Releasing the pages of a read-only file mapping loses nothing: reads fault them back in from the file. */
    @Test
    void releasedFilePagesReadBackTheFile(@TempDir Path dir) throws IOException {
        byte[] bytes = new byte[3 * 4096 + 123];
        new Random(7).nextBytes(bytes);
        Path file = Files.write(dir.resolve("weights.bin"), bytes);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            assertArrayEquals(bytes, mapped.toArray(ValueLayout.JAVA_BYTE)); // every page resident
            OffHeap.releaseFilePages(mapped.asSlice(100, bytes.length - 100)); // unaligned: only whole pages inside
            assertArrayEquals(bytes, mapped.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void releasingHeapMemoryDoesNothing() {
        byte[] bytes = {1, 2, 3};
        OffHeap.releaseFilePages(MemorySegment.ofArray(bytes));
        assertArrayEquals(new byte[]{1, 2, 3}, bytes);
    }
}
