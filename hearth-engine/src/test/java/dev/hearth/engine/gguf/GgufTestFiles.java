package dev.hearth.engine.gguf;

import dev.hearth.engine.tensor.GgmlType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Small GGUF files built with {@link GgufWriter}, and helpers to compare and patch them. */
final class GgufTestFiles {
    private GgufTestFiles() {}

    static byte[] bytes(GgufWriter w) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            w.write(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A small file with a bit of everything: scalars, strings, arrays, a nested array, three tensor types. */
    static GgufWriter sample() {
        return new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "tiny Grüße ▁")
                .putU32("llama.context_length", 128)
                .putF32("llama.rope.freq_base", 10000f)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .put("test.u8", GgufValueType.UINT8, (byte) 7)
                .put("test.i64", GgufValueType.INT64, -5L)
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, new String[]{"<unk>", "<s>", "▁a", "b"})
                .putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, new float[]{0f, -1f, -2f, -3f})
                .putArray("test.nested", GgufValueType.ARRAY, new GgufArray[]{
                        new GgufArray(GgufValueType.INT32, new int[]{1, 2}),
                        new GgufArray(GgufValueType.STRING, new String[]{"x"})})
                .addTensor("token_embd.weight", GgmlType.Q8_0, new long[]{32, 4}, random(1, 4 * 34))
                .addTensor("output_norm.weight", GgmlType.F32, new long[]{32}, random(2, 32 * 4))
                .addTensor("blk.0.attn_q.weight", GgmlType.F16, new long[]{8, 3}, random(3, 8 * 3 * 2));
    }

    /** First index of {@code s} (UTF-8) in {@code file}: used to find a key or tensor name in a header. */
    static int indexOf(byte[] file, String s) {
        byte[] needle = s.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + needle.length <= file.length; i++) {
            for (int j = 0; j < needle.length; j++) if (file[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("'" + s + "' not found in the file");
    }

    static void putI32(byte[] file, int at, int v) {
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
    }

    static void putI64(byte[] file, int at, long v) {
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
    }

    /** Deep equality of metadata values as the reader returns them; floats compared bit for bit. */
    static void assertValueEquals(String where, Object expected, Object actual) {
        if (expected instanceof GgufArray e) {
            GgufArray a = assertInstanceOf(GgufArray.class, actual, where);
            assertEquals(e.elementType(), a.elementType(), where + " element type");
            assertEquals(e.length(), a.length(), where + " length");
            if (e.values() instanceof GgufArray[] || e.values() instanceof String[]) {
                for (int i = 0; i < e.length(); i++) {
                    assertValueEquals(where + "[" + i + "]", Array.get(e.values(), i), Array.get(a.values(), i));
                }
            } else {
                assertEquals(e.values().getClass(), a.values().getClass(), where + " array class");
                assertTrue(switch (e.values()) {
                    case byte[] x -> Arrays.equals(x, (byte[]) a.values());
                    case short[] x -> Arrays.equals(x, (short[]) a.values());
                    case int[] x -> Arrays.equals(x, (int[]) a.values());
                    case long[] x -> Arrays.equals(x, (long[]) a.values());
                    case boolean[] x -> Arrays.equals(x, (boolean[]) a.values());
                    case float[] x -> Arrays.equals(rawBits(x), rawBits((float[]) a.values()));
                    case double[] x -> Arrays.equals(rawBits(x), rawBits((double[]) a.values()));
                    default -> throw new AssertionError(where + ": unexpected array class " + e.values().getClass());
                }, where + ": array values differ");
            }
        } else if (expected instanceof Float f) {
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(assertInstanceOf(Float.class, actual, where)), where);
        } else if (expected instanceof Double d) {
            assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits(assertInstanceOf(Double.class, actual, where)), where);
        } else {
            assertEquals(expected, actual, where);
        }
    }

    private static int[] rawBits(float[] x) {
        int[] r = new int[x.length];
        for (int i = 0; i < x.length; i++) r[i] = Float.floatToRawIntBits(x[i]);
        return r;
    }

    private static long[] rawBits(double[] x) {
        long[] r = new long[x.length];
        for (int i = 0; i < x.length; i++) r[i] = Double.doubleToRawLongBits(x[i]);
        return r;
    }
}
