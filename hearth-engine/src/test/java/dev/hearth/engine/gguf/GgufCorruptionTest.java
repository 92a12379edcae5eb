package dev.hearth.engine.gguf;

import dev.hearth.engine.Fixtures;
import dev.hearth.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static dev.hearth.engine.gguf.GgufTestFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Damaged files: every one either opens with all tensor data inside the file, or fails with a
 * {@link GgufFormatException} whose message names the file. Nothing else may escape (no OutOfMemoryError,
 * NegativeArraySizeException, IndexOutOfBoundsException, ArithmeticException...) and nothing may hang.
 */
class GgufCorruptionTest {
    @TempDir
    Path tmp;

    /** A valid file; {@code dataEnd} is where its last tensor's bytes end (only padding may follow). */
    record Base(String name, byte[] bytes, long dataOffset, long dataEnd) {}

    /** Outcome counts, and the first few cases that broke the rule. */
    static final class Tally {
        int opened, rejected, cases;
        final List<String> violations = new ArrayList<>();

        void violation(String s) {
            if (violations.size() < 20) violations.add(s);
        }
    }

    private static Base base(String name, byte[] bytes) throws IOException {
        try (GgufFile f = GgufFile.parse(Path.of(name), MemorySegment.ofArray(bytes))) {
            long end = f.tensors().values().stream().mapToLong(t -> t.fileOffset() + t.byteSize()).max().orElseThrow();
            return new Base(name, bytes, f.dataOffset(), end);
        }
    }

    private static List<Base> bases() throws IOException {
        List<Base> bases = new ArrayList<>();
        bases.add(base("sample.gguf", bytes(sample())));
        bases.add(base("sample-v2-align64.gguf", bytes(sample().version(2).putU32("general.alignment", 64))));
        bases.add(base("deep.gguf", bytes(new GgufWriter()
                .putArray("a", GgufValueType.ARRAY, new GgufArray[]{new GgufArray(GgufValueType.ARRAY, new GgufArray[]{
                        new GgufArray(GgufValueType.UINT64, new long[]{1, 2}), new GgufArray(GgufValueType.BOOL, new boolean[]{true})})})
                .putArray("b", GgufValueType.INT16, new short[]{1, 2, 3})
                .putArray("c", GgufValueType.FLOAT64, new double[]{1})
                .addTensor("q4k", GgmlType.Q4_K, new long[]{256}, random(5, 144))
                .addTensor("x", GgmlType.I64, new long[]{1, 1, 1, 2}, random(6, 16)))));
        for (String fixture : List.of("quant/q4_K.gguf", "models/llama-spm-q4_k_m.gguf")) {
            bases.add(base(fixture, Files.readAllBytes(Fixtures.file(fixture))));
        }
        return bases;
    }

    private static void truncated(Base base, int n, Tally tally) {
        int rejectedBefore = tally.rejected;
        parseOne(base, "truncated to " + n, Arrays.copyOf(base.bytes, n), tally);
        if (n < base.dataEnd && tally.rejected == rejectedBefore) {
            tally.violation(base.name + " truncated to " + n + " bytes (tensor data ends at " + base.dataEnd + ") was accepted");
        }
    }

    private static void parseOne(Base base, String what, byte[] bytes, Tally tally) {
        tally.cases++;
        Path name = Path.of(base.name);
        try (GgufFile f = GgufFile.parse(name, MemorySegment.ofArray(bytes))) {
            for (GgufTensor t : f.tensors().values()) {
                if (t.fileOffset() < f.dataOffset() || t.fileOffset() + t.byteSize() > bytes.length) {
                    tally.violation(base.name + " " + what + ": opened but tensor " + t.name() + " lies outside the file");
                }
            }
            tally.opened++;
        } catch (GgufFormatException e) {
            if (!e.getMessage().startsWith(name + ": ")) tally.violation(base.name + " " + what + ": message does not name the file: " + e.getMessage());
            tally.rejected++;
        } catch (Throwable t) {
            tally.violation(base.name + " " + what + ": " + t);
        }
    }

    /** Header positions to damage: all of them for small headers; for a big vocabulary, both ends and a stride. */
    private static boolean inScope(Base base, int pos) {
        long h = base.dataOffset;
        return h <= 8192 || pos < 1024 || pos >= h - 1024 || pos % 31 == 0;
    }

    @Test
    void truncatedAndOverwrittenFilesFailCleanly() throws IOException {
        List<Base> bases = bases();
        Tally tally = new Tally();
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            for (Base base : bases) {
                int before = tally.cases;
                byte[] b = base.bytes;
                // (a) truncation at every header position and at a few places in the data
                for (int n = 0; n <= base.dataOffset; n++) {
                    if (inScope(base, n)) truncated(base, n, tally);
                }
                for (int k = 1; k <= 8; k++) truncated(base, (int) (base.dataOffset + (base.dataEnd - base.dataOffset) * k / 9), tally);
                truncated(base, (int) base.dataEnd - 1, tally);
                // (b) every header byte overwritten or flipped
                byte[] work = b.clone();
                List<Pattern> patterns = List.of(new Pattern("0x00", x -> 0), new Pattern("0xFF", x -> 0xFF),
                        new Pattern("0x7F", x -> 0x7F), new Pattern("0x80", x -> 0x80), new Pattern("xor 0x01", x -> x ^ 0x01),
                        new Pattern("xor 0x40", x -> x ^ 0x40), new Pattern("xor 0x80", x -> x ^ 0x80));
                for (int pos = 0; pos < base.dataOffset; pos++) {
                    if (!inScope(base, pos)) continue;
                    byte original = b[pos];
                    for (Pattern p : patterns) {
                        byte changed = (byte) p.change.applyAsInt(original & 0xFF);
                        if (changed == original) continue;
                        work[pos] = changed;
                        parseOne(base, "byte " + pos + " set by " + p.name, work, tally);
                    }
                    work[pos] = original;
                }
                System.out.printf("%s: header %d bytes, %d damaged copies%n", base.name, base.dataOffset, tally.cases - before);
            }
        });
        System.out.printf("corruption corpus: %d cases, %d opened, %d rejected%n", tally.cases, tally.opened, tally.rejected);
        assertEquals(List.of(), tally.violations);
    }

    record Pattern(String name, java.util.function.IntUnaryOperator change) {}

    @Test
    void truncatedFilesOnDiskFailCleanly() throws IOException {
        // The same through the memory-mapped path, including the empty file.
        byte[] b = bytes(sample());
        Path file = tmp.resolve("cut.gguf");
        int n;
        for (n = 0; n < b.length; n += n < 600 ? 1 : 97) {
            Files.write(file, Arrays.copyOf(b, n));
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(file).close(), "cut at " + n);
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        }
    }

    // ---- targeted damage with the messages a user should see

    private GgufFormatException rejected(byte[] file) throws IOException {
        Path p = tmp.resolve("damaged.gguf");
        Files.write(p, file);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p + ": "), "names the file: " + e.getMessage());
        return e;
    }

    private void assertRejected(byte[] file, String... fragments) throws IOException {
        String msg = rejected(file).getMessage();
        for (String f : fragments) assertTrue(msg.contains(f), "message '" + msg + "' should contain '" + f + "'");
    }

    private static byte[] patched(GgufWriter w, Consumer<byte[]> patch) {
        byte[] b = bytes(w);
        patch.accept(b);
        return b;
    }

    /** Offset of a tensor info's fields, found from its (unique) name. */
    private static int tensorInfo(byte[] file, String name) {
        return indexOf(file, name) + name.length();
    }

    @Test
    void wrongMagic() throws IOException {
        assertRejected(patched(sample(), b -> b[0] = 'X'), "not a GGUF file");
        assertRejected("hello, this is not a model".getBytes(), "not a GGUF file");
        assertRejected(new byte[0], "not a GGUF file");
    }

    @Test
    void unsupportedVersions() throws IOException {
        assertRejected(patched(sample(), b -> putI32(b, 4, 1)), "version 1 is not supported");
        assertRejected(patched(sample(), b -> putI32(b, 4, 99)), "unsupported GGUF version 99");
        assertRejected(patched(sample(), b -> putI32(b, 4, 0x03000000)), "big-endian");
    }

    @Test
    void absurdCounts() throws IOException {
        long huge = 1L << 62;
        assertRejected(patched(sample(), b -> putI64(b, 8, huge)), "tensor count " + huge + " is impossible");
        assertRejected(patched(sample(), b -> putI64(b, 16, huge)), "metadata key/value count " + huge + " is impossible");
        assertRejected(patched(sample(), b -> putI64(b, 8, -1)), "tensor count 18446744073709551615 is impossible");
        // the first key's length
        assertRejected(patched(sample(), b -> putI64(b, 24, huge)), "claims " + huge + " bytes");
        // a string value's length
        GgufWriter w = new GgufWriter().putString("k", "value");
        int valueLength = 24 + 8 + 1 + 4;
        assertRejected(patched(w, b -> putI64(b, valueLength, huge)), "value of 'k'", "claims " + huge + " bytes");
        // an array's length, for a few element types
        for (GgufValueType t : List.of(GgufValueType.UINT8, GgufValueType.FLOAT32, GgufValueType.STRING, GgufValueType.ARRAY)) {
            Object empty = switch (t) {
                case UINT8 -> new byte[0];
                case FLOAT32 -> new float[0];
                case STRING -> new String[0];
                default -> new GgufArray[0];
            };
            GgufWriter a = new GgufWriter().putArray("arr", t, empty);
            int count = 24 + 8 + 3 + 4 + 4;
            assertRejected(patched(a, b -> putI64(b, count, huge)), "element count of array 'arr' " + huge + " is impossible");
        }
        // a tensor's dimension
        assertRejected(patched(sample(), b -> putI64(b, tensorInfo(b, "output_norm.weight") + 4, huge)),
                "'output_norm.weight'", "impossible dimension " + huge);
        assertRejected(patched(sample(), b -> putI32(b, tensorInfo(b, "output_norm.weight"), 5)), "5 dimensions");
        assertRejected(patched(sample(), b -> putI32(b, tensorInfo(b, "output_norm.weight"), 0)), "0 dimensions");
        assertRejected(patched(sample(), b -> putI64(b, tensorInfo(b, "output_norm.weight") + 4, 0)), "impossible dimension 0");
    }

    @Test
    void tensorOffsetsAndTypes() throws IOException {
        // token_embd: Q8_0 [32, 4]: type at name + 4 + 2*8, offset 4 bytes later
        int type = "token_embd.weight".length() + 4 + 16;
        assertRejected(patched(sample(), b -> putI32(b, indexOf(b, "token_embd.weight") + type, 99)),
                "'token_embd.weight'", "unknown ggml type id 99");
        assertRejected(patched(sample(), b -> putI32(b, indexOf(b, "token_embd.weight") + type, 31)), "unknown ggml type id 31");
        assertRejected(patched(sample(), b -> putI64(b, indexOf(b, "token_embd.weight") + type + 4, 3)),
                "'token_embd.weight'", "not aligned to 32");
        assertRejected(patched(sample(), b -> putI64(b, indexOf(b, "token_embd.weight") + type + 4, 1L << 40)),
                "'token_embd.weight'", "past the end of the file");
        assertRejected(patched(sample(), b -> putI64(b, indexOf(b, "token_embd.weight") + type + 4, Long.MAX_VALUE - 31)),
                "'token_embd.weight'");
        // a row that is not a whole number of Q8_0 blocks
        assertRejected(patched(sample(), b -> putI64(b, indexOf(b, "token_embd.weight") + "token_embd.weight".length() + 4, 33)),
                "row length 33, not a multiple of its block size 32");
        // the last tensor's data cut short
        byte[] b = bytes(sample());
        try (GgufFile f = GgufFile.parse(Path.of("x"), MemorySegment.ofArray(b))) {
            GgufTensor last = f.tensor("blk.0.attn_q.weight");
            assertRejected(Arrays.copyOf(b, (int) (last.fileOffset() + last.byteSize() - 1)),
                    "'blk.0.attn_q.weight'", "past the end of the file");
        }
    }

    @Test
    void metadataValues() throws IOException {
        GgufWriter w = new GgufWriter().putU32("first", 1).putU32("other", 2);
        assertRejected(patched(w, b -> putI32(b, indexOf(b, "other") + 5, 13)), "'other' has unknown value type 13");
        assertRejected(patched(w, b -> putI32(b, indexOf(b, "other") + 5, -1)), "unknown value type -1");
        GgufWriter dup = new GgufWriter().putU32("a.x", 1).putU32("a.y", 2);
        assertRejected(patched(dup, b -> b[indexOf(b, "a.y") + 2] = 'x'), "duplicate metadata key 'a.x'");
        GgufWriter t = new GgufWriter().addTensor("t1", new float[]{1}, 1).addTensor("t2", new float[]{2}, 1);
        assertRejected(patched(t, b -> b[indexOf(b, "t2") + 1] = '1'), "duplicate tensor name 't1'");
        GgufWriter bool = new GgufWriter().putBool("flag", true);
        assertRejected(patched(bool, b -> b[indexOf(b, "flag") + 8] = 2), "'flag' is a bool with byte value 2");
        GgufWriter arr = new GgufWriter().putArray("arr", GgufValueType.UINT8, new byte[]{1});
        assertRejected(patched(arr, b -> putI32(b, indexOf(b, "arr") + 7, 42)), "array 'arr' has unknown element type 42");
    }

    @Test
    void alignmentValues() throws IOException {
        for (int bad : new int[]{0, 3, 48, -64}) {
            GgufWriter w = new GgufWriter().putU32("general.alignment", 64).addTensor("t", new float[]{1}, 1);
            int value = "general.alignment".length() + 4; // after the key: type, then the value
            assertRejected(patched(w, b -> putI32(b, indexOf(b, "general.alignment") + value, bad)),
                    "general.alignment must be a power of two");
        }
        GgufWriter w = new GgufWriter().putU32("general.alignment", 64);
        assertRejected(patched(w, b -> putI32(b, indexOf(b, "general.alignment") + 17, GgufValueType.FLOAT32.id)),
                "general.alignment must be a power of two u32");
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().putU64("general.alignment", 64));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().putU32("general.alignment", 48));
    }

    @Test
    void arraysNestedTooDeep() throws IOException {
        GgufArray a = new GgufArray(GgufValueType.INT32, new int[]{1});
        for (int i = 0; i < 12; i++) a = new GgufArray(GgufValueType.ARRAY, new GgufArray[]{a});
        assertRejected(bytes(new GgufWriter().put("deep", GgufValueType.ARRAY, a)), "'deep' nests arrays deeper than");
    }

    @Test
    void directoryOrMissingFile() {
        GgufFormatException dir = assertThrows(GgufFormatException.class, () -> GgufFile.open(tmp).close());
        assertEquals(tmp + ": is a directory, not a GGUF file", dir.getMessage());
        assertThrows(IOException.class, () -> GgufFile.open(tmp.resolve("nope.gguf")).close());
    }
}
