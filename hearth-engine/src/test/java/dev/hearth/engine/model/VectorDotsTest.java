package dev.hearth.engine.model;

import dev.hearth.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector kernels ({@link VectorDots}, threaded {@link Matrix#multiply}) against the scalar {@link GgmlDots}
 * reference: random weights and inputs, every output bit for bit, for one and several input rows.
 */
class VectorDotsTest {

    @ParameterizedTest
    @CsvSource({
            "Q8_0, 37, 896", "Q8_0, 64, 64", "Q8_0, 48, 2048",
            "Q4_0, 40, 896", "Q4_0, 37, 128", "Q4_0, 16, 2048", "Q4_0, 96, 256",
            "Q4_K, 37, 512", "Q4_K, 48, 1280",
            "Q6_K, 37, 512", "Q6_K, 48, 1280",
            "Q5_0, 37, 896", "Q5_0, 48, 256", "IQ4_NL, 24, 256", "IQ4_NL, 19, 896",
            "Q5_K, 21, 512", "Q5_K, 48, 1280", "Q3_K, 16, 256", "F16, 20, 96", "F32, 16, 80",
            // DenseDots: rows in fours and left over, a tail after the last 64-value step, rows longer than a chunk,
            // no whole step at all; two or more input rows when the row count is not a multiple of 4
            "F16, 37, 1000", "F16, 21, 2112", "F16, 16, 40", "F32, 37, 1000", "F32, 23, 600", "F32, 64, 320",
            "BF16, 37, 1000", "BF16, 20, 96", "BF16, 16, 40", "BF16, 64, 2112", "BF16, 21, 64"})
    void vectorEqualsScalarBitForBit(GgmlType type, int rows, int cols) {
        Random rnd = new Random(type.ordinal() * 1000L + rows * 31L + cols);
        MemorySegment w = randomWeights(type, rows, cols, rnd);
        for (boolean tokenEmbedding : new boolean[]{false, true}) {
            Matrix m = Matrix.of(type, w, rows, cols, tokenEmbedding);
            for (int batch : new int[]{1, 2, 5, 32}) {
                float[] in = new float[batch * cols];
                for (int i = 0; i < in.length; i++) in[i] = (float) (rnd.nextGaussian() * (i % 97 == 0 ? 20 : 1));
                Activations x = new Activations(cols).set(in, 0, batch);
                float[] fast = new float[batch * rows], reference = new float[batch * rows];
                m.multiply(x, fast, true);
                m.multiply(x, reference, false);
                for (int i = 0; i < fast.length; i++) {
                    int at = i;
                    assertEquals(Float.floatToRawIntBits(reference[i]), Float.floatToRawIntBits(fast[i]),
                            () -> type + " " + rows + "x" + cols + " batch " + batch + " output " + at + ": " + reference[at] + " vs " + fast[at]);
                }
            }
        }
    }

    /**
     * F16 weights holding an infinity or a NaN: the vector kernel converts those steps exactly (its fast decoding would
     * turn them into large finite values) and gives the scalar reference's results (NaN compared as NaN).
     */
    @Test
    void f16InfinityAndNaNMatchTheReference() {
        int rows = 24, cols = 320;
        Random rnd = new Random(5);
        MemorySegment w = randomWeights(GgmlType.F16, rows, cols, rnd);
        w.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * (3 * cols + 70), (short) 0x7C00); // +inf in row 3
        w.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * (11 * cols + 5), (short) 0xFC00); // -inf in row 11
        w.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * (17 * cols + 200), (short) 0x7E00); // NaN in row 17
        Matrix m = Matrix.of(GgmlType.F16, w, rows, cols, false);
        float[] in = new float[cols];
        for (int i = 0; i < cols; i++) in[i] = (float) rnd.nextGaussian();
        Activations x = new Activations(cols).set(in, 0, 1);
        float[] fast = new float[rows], reference = new float[rows];
        m.multiply(x, fast, true);
        m.multiply(x, reference, false);
        assertTrue(Float.isInfinite(reference[3]) && Float.isInfinite(reference[11]) && Float.isNaN(reference[17]));
        for (int r = 0; r < rows; r++) assertEquals(Float.valueOf(reference[r]), Float.valueOf(fast[r]), "row " + r);
    }

    /** The load-time memory estimate ({@link Model#memoryBytes}) counts exactly what the copies add. */
    @ParameterizedTest
    @CsvSource({"Q8_0, 40, 256", "Q5_0, 40, 256", "Q5_0, 64, 512", "Q6_K, 72, 512", "Q4_K, 40, 256", "Q4_0, 40, 256", "Q5_0, 16, 256"})
    void loadedGrowthIsWhatTheCopyAdds(GgmlType type, int rows, int cols) {
        Matrix m = Matrix.of(type, randomWeights(type, rows, cols, new Random(1)), rows, cols, false);
        assertEquals(m.repackedGrowth(), Matrix.loadedGrowth(type, rows, cols));
        if (VectorDots.supportsType(type) && rows >= 32 && (type == GgmlType.Q5_0 || type == GgmlType.Q6_K)) {
            assertTrue(m.repackedGrowth() > 0, "widened to int8: larger than the file");
        }
    }

    /** Random bytes, with every fp16 scale field set to a finite value of a realistic size. */
    private static MemorySegment randomWeights(GgmlType type, int rows, int cols, Random rnd) {
        long rowBytes = type.byteSize(cols);
        byte[] bytes = new byte[Math.toIntExact(rowBytes * rows)];
        rnd.nextBytes(bytes);
        int[] halfFields = switch (type) {
            case Q8_0, Q4_0, Q5_0, IQ4_NL -> new int[]{0};
            case Q4_K, Q5_K -> new int[]{0, 2};
            case Q6_K -> new int[]{208};
            case Q3_K -> new int[]{108};
            default -> new int[0];
        };
        int blocks = bytes.length / type.typeSize;
        for (int b = 0; b < blocks; b++) {
            for (int f : halfFields) setHalf(bytes, b * type.typeSize + f, (float) (rnd.nextGaussian() * 0.01));
        }
        if (type == GgmlType.BF16) { // rounded to nearest even, some zeros
            for (int i = 0; i < bytes.length; i += 2) {
                int bits = rnd.nextInt(30) == 0 ? 0 : Float.floatToRawIntBits((float) rnd.nextGaussian());
                int h = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
                bytes[i] = (byte) h;
                bytes[i + 1] = (byte) (h >>> 8);
            }
        }
        if (type == GgmlType.F16) { // with some zeros and fp16 subnormals
            for (int i = 0; i < bytes.length; i += 2) {
                int k = rnd.nextInt(40);
                setHalf(bytes, i, k == 0 ? 0f : k == 1 ? (float) (rnd.nextGaussian() * 3e-5) : (float) rnd.nextGaussian());
            }
        }
        if (type == GgmlType.F32) {
            for (int i = 0; i < bytes.length; i += 4) {
                int bits = Float.floatToRawIntBits((float) rnd.nextGaussian());
                for (int k = 0; k < 4; k++) bytes[i + k] = (byte) (bits >> (8 * k));
            }
        }
        return MemorySegment.ofArray(bytes);
    }

    private static void setHalf(byte[] a, int o, float v) {
        short h = Float.floatToFloat16(v);
        a[o] = (byte) h;
        a[o + 1] = (byte) (h >> 8);
    }
}
