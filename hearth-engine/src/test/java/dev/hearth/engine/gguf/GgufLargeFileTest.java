package dev.hearth.engine.gguf;

import dev.hearth.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Offsets and sizes past 2^31 work: a sparse file of about 2.4 GB, read at its far end. */
class GgufLargeFileTest {
    @TempDir
    Path tmp;

    @Test
    void tensorBeyondTwoGibibytes() throws Exception {
        byte[] small = GgufTestFiles.random(11, 64 * 4);
        long[] bigShape = {65536, 9000}; // 589,824,000 F32 values = 2,359,296,000 bytes
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "sparse-test")
                .addTensor("small", GgmlType.F32, new long[]{64}, small)
                .declareTensor("big", GgmlType.F32, bigShape);
        Path file = tmp.resolve("big.gguf");
        long dataStart;
        try (OutputStream out = Files.newOutputStream(file)) {
            dataStart = w.writeHeader(out);
        }
        long bigStart = dataStart + w.dataOffset("big");
        long bigBytes = bigShape[0] * bigShape[1] * 4;
        byte[] tail = GgufTestFiles.random(12, 4096);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(dataStart + w.dataOffset("small"));
            raf.write(small);
            raf.setLength(bigStart + bigBytes); // sparse: no blocks for the hole
            raf.seek(bigStart + bigBytes - tail.length);
            raf.write(tail);
        }
        try {
            assertTrue(bigStart + bigBytes > (1L << 31));
            try (GgufFile f = GgufFile.open(file)) {
                assertEquals(bigStart + bigBytes, f.fileSize());
                assertArrayEquals(small, f.tensor("small").data().toArray(ValueLayout.JAVA_BYTE));
                GgufTensor big = f.tensor("big");
                assertEquals(bigStart, big.fileOffset());
                assertEquals(bigBytes, big.byteSize());
                assertEquals(bigShape[0] * bigShape[1], big.elementCount());
                assertEquals(9000, big.rows());
                byte[] end = big.data().asSlice(bigBytes - tail.length, tail.length).toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(tail, end, "bytes at the end of the big tensor, past 2^31");
                assertEquals(0, big.data().get(ValueLayout.JAVA_BYTE, (1L << 31) + 5), "the hole reads as zeros");
            }
            // The same file cut one byte short fails with a message, not an exception from the mapping.
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(bigStart + bigBytes - 1);
            }
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(file).close());
            assertTrue(e.getMessage().contains("'big'") && e.getMessage().contains("past the end"), e.getMessage());
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
