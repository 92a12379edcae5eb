package dev.hearth.engine.tensor;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The dedicated kernels on random weights (random bytes with valid scales, including fp16 subnormal scales and
 * values, and int8 -128) against a scalar reference written from the formats' definitions, in double precision, on
 * the input as {@link Activations} quantizes it (its quantizers are checked byte for byte elsewhere). Shapes with
 * tails: rows not a multiple of 16, widths that are not whole groups of 512 (896, Qwen2.5-0.5B's width).
 */
class MatrixRandomTest {
    static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static WorkerPool two;
    static Arena arena;

    @BeforeAll
    static void setUp() {
        two = new WorkerPool(2);
        arena = Arena.ofShared();
    }

    @AfterAll
    static void tearDown() {
        two.close();
        arena.close();
    }

    // ------------------------------------------------------------------------------------------ random weights

    static short scale(SplittableRandom rnd) {
        // mostly normal fp16 scales, some subnormal (tiny blocks), some zero (all-zero blocks)
        int k = rnd.nextInt(20);
        float v = k == 0 ? 0f : k == 1 ? (float) (rnd.nextDouble() * 6e-5) : (float) (1e-3 + rnd.nextDouble() * 1e-2);
        return Float.floatToFloat16(rnd.nextBoolean() ? v : -v);
    }

    static MemorySegment randomBytes(SplittableRandom rnd, long n) {
        MemorySegment s = arena.allocate(n);
        for (long i = 0; i < n; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        return s;
    }

    /** A rows x cols matrix of {@code type} in GGUF layout, random but with meaningful scales. */
    static MemorySegment randomMatrix(GgmlType type, int rows, int cols, SplittableRandom rnd) {
        long n = type.byteSize(cols) * rows;
        MemorySegment s = randomBytes(rnd, n);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < n; i += 4) s.set(F, i, (float) rnd.nextGaussian());
            }
            case F16 -> {
                for (long i = 0; i < n; i += 2) {
                    int k = rnd.nextInt(50);
                    float v = k == 0 ? 0f : k == 1 ? (float) (rnd.nextGaussian() * 3e-5) : (float) (rnd.nextGaussian() * 0.05);
                    s.set(H, i, Float.floatToFloat16(v)); // includes zeros and fp16 subnormals
                }
            }
            case BF16 -> {
                for (long i = 0; i < n; i += 2) s.set(H, i, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian()) >>> 16));
            }
            case Q8_0 -> {
                for (long o = 0; o < n; o += 34) s.set(H, o, scale(rnd));
            }
            case Q4_0 -> {
                for (long o = 0; o < n; o += 18) s.set(H, o, scale(rnd));
            }
            case Q4_K -> {
                for (long o = 0; o < n; o += 144) {
                    s.set(H, o, scale(rnd));
                    s.set(H, o + 2, scale(rnd));
                }
            }
            case Q6_K -> {
                for (long o = 0; o < n; o += 210) s.set(H, o + 208, scale(rnd));
            }
            default -> throw new IllegalArgumentException(type.name());
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------ scalar reference

    static float half(MemorySegment s, long o) {
        return Float.float16ToFloat(s.get(H, o));
    }

    static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xFF;
    }

    /**
     * Reference dot of row r with input row b: {ref, sum of |terms|} in double. The terms are per block
     * (quantized types) or per value (float types); the tolerance scales with their magnitude.
     */
    static double[] reference(GgmlType type, MemorySegment w, int cols, int r, Activations x, int b) {
        long ro = r * type.byteSize(cols);
        double sum = 0, abs = 0;
        switch (type) {
            case F32, F16, BF16 -> {
                for (int i = 0; i < cols; i++) {
                    float v = x.get(b, i);
                    double t = switch (type) {
                        case F32 -> (double) w.get(F, ro + 4L * i) * v;
                        case F16 -> (double) half(w, ro + 2L * i) * Float.float16ToFloat(Float.floatToFloat16(v));
                        default -> (double) Float.intBitsToFloat(w.get(H, ro + 2L * i) << 16) * Activations.roundToBf16(v);
                    };
                    sum += t;
                    abs += Math.abs(t);
                }
            }
            case Q8_0, Q4_0 -> {
                byte[] q = x.q8_0();
                float[] d = x.q8_0Scale();
                int bs = type == GgmlType.Q8_0 ? 34 : 18;
                for (int blk = 0; blk < cols / 32; blk++) {
                    long o = ro + (long) blk * bs;
                    long isum = 0;
                    for (int j = 0; j < 32; j++) {
                        int wq = type == GgmlType.Q8_0 ? w.get(ValueLayout.JAVA_BYTE, o + 2 + j)
                                : (j < 16 ? u8(w, o + 2 + j) & 0xF : u8(w, o + 2 + j - 16) >> 4) - 8;
                        isum += wq * q[b * cols + blk * 32 + j];
                    }
                    double t = (double) half(w, o) * d[b * cols / 32 + blk] * isum;
                    sum += t;
                    abs += Math.abs(t);
                }
            }
            case Q4_K -> {
                byte[] q = x.q8_K();
                float[] d = x.q8_KScale();
                byte[] sc12 = new byte[12];
                int[] sc = new int[8], mn = new int[8];
                for (int sb = 0; sb < cols / 256; sb++) {
                    long o = ro + sb * 144L;
                    for (int k = 0; k < 12; k++) sc12[k] = w.get(ValueLayout.JAVA_BYTE, o + 4 + k);
                    Q4_KKernel.scalesAndMins(sc12, 0, sc, mn);
                    double dx = d[b * cols / 256 + sb];
                    for (int s = 0; s < 8; s++) {
                        long isum = 0, xsum = 0;
                        for (int l = 0; l < 32; l++) {
                            int v = u8(w, o + 16 + 32 * (s / 2) + l);
                            int wq = s % 2 == 0 ? v & 0xF : v >> 4;
                            int xq = q[b * cols + sb * 256 + s * 32 + l];
                            isum += wq * xq;
                            xsum += xq;
                        }
                        double t1 = half(w, o) * dx * sc[s] * isum, t2 = half(w, o + 2) * dx * mn[s] * xsum;
                        sum += t1 - t2;
                        abs += Math.abs(t1) + Math.abs(t2);
                    }
                }
            }
            case Q6_K -> {
                byte[] q = x.q8_K();
                float[] d = x.q8_KScale();
                byte[] blk = new byte[210];
                for (int sb = 0; sb < cols / 256; sb++) {
                    long o = ro + sb * 210L;
                    MemorySegment.copy(w, ValueLayout.JAVA_BYTE, o, blk, 0, 210);
                    double dd = half(w, o + 208) * (double) d[b * cols / 256 + sb];
                    for (int s = 0; s < 16; s++) {
                        long isum = 0;
                        for (int l = 0; l < 16; l++) isum += (Q6_KKernel.quant(blk, 0, s * 16 + l) - 32) * q[b * cols + sb * 256 + s * 16 + l];
                        double t = dd * blk[192 + s] * isum;
                        sum += t;
                        abs += Math.abs(t);
                    }
                }
            }
            default -> throw new IllegalArgumentException(type.name());
        }
        return new double[]{sum, abs};
    }

    static void check(GgmlType type, MemorySegment w, int rows, int cols, Matrix m, Activations x, float[] y, String what) {
        for (int b = 0; b < x.batch(); b++) {
            for (int r = 0; r < rows; r++) {
                double[] ref = reference(type, w, cols, r, x, b);
                double tol = 1e-5 * ref[1] + 1e-30;
                float got = y[b * rows + r];
                assertTrue(Math.abs(got - ref[0]) <= tol, what + " " + m + " input " + b + " row " + r + ": expected " + ref[0]
                        + " got " + got + " (tolerance " + tol + ")");
            }
        }
    }

    static Activations randomInput(int cols, int batch, SplittableRandom rnd) {
        float[] v = new float[cols * batch];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * (i % 37 == 0 ? 8 : 1));
        return new Activations(cols).set(v, 0, batch);
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @CsvSource({
            "F32, 37, 896", "F32, 16, 1000",
            "F16, 37, 896", "F16, 33, 2048", "F16, 3, 40",
            "BF16, 37, 896", "BF16, 5, 72",
            "Q8_0, 37, 896", "Q8_0, 40, 2048", "Q8_0, 3, 32",
            "Q4_0, 37, 896", "Q4_0, 40, 2048", "Q4_0, 3, 64",
            "Q4_K, 37, 768", "Q4_K, 40, 2048", "Q4_K, 3, 256",
            "Q6_K, 37, 768", "Q6_K, 40, 2048", "Q6_K, 3, 256",
    })
    void matchesScalarReference(GgmlType type, int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(rows * 31L + cols + type.ordinal());
        MemorySegment w = randomMatrix(type, rows, cols, rnd);
        Activations x = randomInput(cols, 1, rnd);
        Matrix m = Matrix.of(type, w, rows, cols);
        Matrix p = m.repack(arena);
        for (Matrix mm : new Matrix[]{m, p}) {
            float[] y = new float[rows];
            mm.multiply(x, y, two);
            check(type, w, rows, cols, mm, x, y, "");
        }
    }

    /**
     * Batched products (several input rows against each weight block) equal one input row at a time, bit for bit:
     * the kernels add in the same order whatever the batch, so prefill and decoding agree exactly.
     */
    @ParameterizedTest(name = "{0} {1}x{2}")
    @CsvSource({"F32, 37, 896", "F16, 37, 896", "BF16, 37, 896", "Q8_0, 37, 896", "Q4_0, 37, 896", "Q4_K, 37, 768", "Q6_K, 37, 768",
            "Q8_0, 21, 1024", "Q4_0, 21, 1024", "Q4_K, 21, 1024", "Q6_K, 21, 512"})
    void batchesEqualSingleRows(GgmlType type, int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(7 * rows + cols);
        MemorySegment w = randomMatrix(type, rows, cols, rnd);
        Matrix m = Matrix.of(type, w, rows, cols);
        Matrix p = m.repack(arena);
        for (int batch : new int[]{1, 3, 8, 17}) {
            Activations x = randomInput(cols, batch, rnd);
            float[] all = new float[batch * rows];
            for (Matrix mm : new Matrix[]{m, p}) {
                mm.multiply(x, all, two);
                if (batch == 17) check(type, w, rows, cols, mm, x, all, "batch " + batch); // single rows are checked below
                Activations single = new Activations(cols);
                float[] one = new float[rows];
                for (int b = 0; b < batch; b++) {
                    float[] row = new float[cols];
                    for (int i = 0; i < cols; i++) row[i] = x.get(b, i);
                    mm.multiply(single.set(row), one, two);
                    for (int r = 0; r < rows; r++) {
                        assertEquals(one[r], all[b * rows + r], type + " " + mm.layout() + " batch " + batch + " input " + b + " row " + r);
                    }
                }
            }
        }
    }

    @Test
    void f16InfinityAndNaNWeightsPropagate() {
        int rows = 2, cols = 64;
        MemorySegment w = arena.allocate(rows * cols * 2L);
        for (int i = 0; i < rows * cols; i++) w.set(H, 2L * i, Float.floatToFloat16(0.5f));
        w.set(H, 2L * 5, Float.floatToFloat16(Float.POSITIVE_INFINITY));
        w.set(H, 2L * (cols + 40), Float.floatToFloat16(Float.NaN));
        float[] in = new float[cols];
        java.util.Arrays.fill(in, 1f);
        Activations x = new Activations(cols).set(in);
        Matrix m = Matrix.of(GgmlType.F16, w, rows, cols);
        for (Matrix mm : new Matrix[]{m, m.repack(arena)}) {
            float[] y = new float[rows];
            mm.multiply(x, y, two);
            assertEquals(Float.POSITIVE_INFINITY, y[0], mm.toString());
            assertTrue(Float.isNaN(y[1]), mm.toString());
        }
    }

    @Test
    void repackKeepsGgufLayoutWhenAScaleCannotBeEncoded() {
        SplittableRandom rnd = new SplittableRandom(3);
        MemorySegment w = randomMatrix(GgmlType.Q8_0, 2, 512, rnd);
        w.set(H, 34L * 20, Float.floatToFloat16(300f));
        Matrix m = Matrix.of(GgmlType.Q8_0, w, 2, 512);
        assertSame(m, m.repack(arena));
        Activations x = randomInput(512, 1, rnd);
        float[] y = new float[2];
        m.multiply(x, y, two);
        check(GgmlType.Q8_0, w, 2, 512, m, x, y, "large scale");
    }

    @Test
    void scaleEncodingIsExactForEveryFiniteHalfBelow128() {
        for (int h = 0; h < 65536; h++) {
            short bits = (short) h;
            float f = Float.float16ToFloat(bits);
            int enc = Simd.encodeScale(bits);
            if (Math.abs(f) < 128f) {
                assertTrue(enc >= 0, "encodable " + f);
                assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(Simd.decodeScale((short) enc)), "half 0x" + Integer.toHexString(h));
                float biased = Simd.decodeScale((short) enc) * 0x1p-102f;
                assertTrue(biased == 0 || Math.abs(biased) >= Float.MIN_NORMAL, "not subnormal: 0x" + Integer.toHexString(h));
            } else {
                assertEquals(-1, enc, "not encodable: " + f);
            }
        }
    }

    @Test
    void refusesTypesWithoutKernelsNamingThem() {
        MemorySegment w = arena.allocate(66 * 4);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> Matrix.of(GgmlType.IQ2_XXS, w, 4, 256));
        assertTrue(e.getMessage().contains("IQ2_XXS"), e.getMessage());
        e = assertThrows(UnsupportedOperationException.class, () -> Matrix.of(GgmlType.Q8_K, arena.allocate(292), 1, 256));
        assertTrue(e.getMessage().contains("Q8_K"), e.getMessage());
    }

    @Test
    void rejectsShapesThatDoNotFit() {
        assertThrows(IllegalArgumentException.class, () -> Matrix.of(GgmlType.Q8_0, arena.allocate(34 * 10), 1, 48));
        assertThrows(IllegalArgumentException.class, () -> Matrix.of(GgmlType.Q8_0, arena.allocate(34 * 3), 2, 64));
        Matrix m = Matrix.of(GgmlType.F32, arena.allocate(4 * 64), 2, 32);
        assertThrows(IllegalArgumentException.class, () -> m.multiply(new Activations(31).set(new float[31]), new float[2], two));
        assertThrows(IllegalArgumentException.class, () -> m.multiply(new Activations(32).set(new float[32]), new float[1], two));
    }
}
