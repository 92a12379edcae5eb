package dev.hearth.engine.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vectorized {@code dot} of each format against its scalar specification on random blocks: random bytes for
 * the quantized fields (so every nibble, fifth bit and int8 extreme such as -128 occurs), sane random fp16 scales,
 * many rows of random lengths, at unaligned offsets. Only the float summation order may differ, so the tolerance
 * is relative to the sum of the magnitudes of the terms.
 */
class VectorDotTest {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "IQ4_NL"})
    void vectorDotEqualsScalarReference(GgmlType type) {
        BlockFormat fmt = BlockFormat.of(type);
        GgmlType xType = fmt.vecDotType();
        Random rnd = new Random(type.ordinal() * 7919L + 17);
        for (int row = 0; row < 300; row++) {
            int n = type.isQuantized() ? type.blockSize * (1 + rnd.nextInt(64)) : 1 + rnd.nextInt(700);
            int wPad = rnd.nextInt(5), xPad = rnd.nextInt(5); // offsets not multiples of anything
            MemorySegment w = MemorySegment.ofArray(new byte[wPad + (int) type.byteSize(n)]);
            MemorySegment x = MemorySegment.ofArray(new byte[xPad + (int) xType.byteSize(n)]);
            fill(type, w, wPad, n, rnd);
            fill(xType, x, xPad, n, rnd);

            float vector = fmt.dot(w, wPad, x, xPad, n);
            float scalar = DotReference.scalar(type, w, wPad, x, xPad, n);
            double magnitude = magnitude(fmt, w, wPad, BlockFormat.of(xType), x, xPad, n);
            assertTrue(Double.isFinite(magnitude) && magnitude > 0, type + ": test data degenerate");
            assertTrue(Math.abs(vector - scalar) <= 1e-5 * magnitude,
                    type + " row " + row + " n=" + n + ": vector " + vector + " scalar " + scalar + " (terms " + magnitude + ")");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "IQ4_NL", "F16", "BF16", "F32"})
    void vectorDotIsExactOnIntegerData(GgmlType type) {
        // With scales 1 and small integer values every partial sum is exact, so both paths must agree exactly.
        BlockFormat fmt = BlockFormat.of(type);
        Random rnd = new Random(42 + type.ordinal());
        for (int row = 0; row < 50; row++) {
            int n = type.isQuantized() ? type.blockSize * (1 + rnd.nextInt(16)) : 1 + rnd.nextInt(300);
            MemorySegment w = MemorySegment.ofArray(new byte[(int) type.byteSize(n)]);
            MemorySegment x = MemorySegment.ofArray(new byte[(int) fmt.vecDotType().byteSize(n)]);
            fill(type, w, 0, n, rnd);
            fill(fmt.vecDotType(), x, 0, n, rnd);
            unitScales(type, w, n, rnd);
            unitScales(fmt.vecDotType(), x, n, rnd);
            assertEquals(DotReference.scalar(type, w, 0, x, 0, n), fmt.dot(w, 0, x, 0, n), type + " row " + row);
        }
    }

    /** Random raw bytes, then every fp16 scale/min field replaced by a finite value of realistic size. */
    static void fill(GgmlType type, MemorySegment s, long off, int n, Random rnd) {
        for (long i = off; i < s.byteSize(); i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) s.set(FLOAT_LE, off + 4L * i, (float) rnd.nextGaussian());
            }
            case F16 -> {
                for (int i = 0; i < n; i++) s.set(SHORT_LE, off + 2L * i, Float.floatToFloat16((float) rnd.nextGaussian()));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) s.set(SHORT_LE, off + 2L * i, HalfFloats.floatToBf16((float) rnd.nextGaussian()));
            }
            default -> {
                // d always first; Q4_1/Q5_1 have m and Q8_1 has s right after it
                boolean second = type == GgmlType.Q4_1 || type == GgmlType.Q5_1 || type == GgmlType.Q8_1;
                for (int b = 0; b < n / type.blockSize; b++) {
                    long o = off + (long) b * type.typeSize;
                    s.set(SHORT_LE, o, Float.floatToFloat16((float) (rnd.nextGaussian() * 0.02)));
                    if (second) s.set(SHORT_LE, o + 2, Float.floatToFloat16((float) (rnd.nextGaussian() * 0.5)));
                }
            }
        }
    }

    /** Scale fields set to 1 (mins/sums to small integers), float elements to small integers. */
    static void unitScales(GgmlType type, MemorySegment s, int n, Random rnd) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) s.set(FLOAT_LE, 4L * i, rnd.nextInt(-50, 51));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) s.set(SHORT_LE, 2L * i, Float.floatToFloat16(rnd.nextInt(-50, 51)));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) s.set(SHORT_LE, 2L * i, HalfFloats.floatToBf16(rnd.nextInt(-50, 51)));
            }
            default -> {
                boolean second = type == GgmlType.Q4_1 || type == GgmlType.Q5_1 || type == GgmlType.Q8_1;
                for (int b = 0; b < n / type.blockSize; b++) {
                    long o = (long) b * type.typeSize;
                    s.set(SHORT_LE, o, Float.floatToFloat16(1));
                    if (second) s.set(SHORT_LE, o + 2, Float.floatToFloat16(rnd.nextInt(-100, 101)));
                }
            }
        }
    }

    /** Σ|w_i·x_i| over the dequantized values, plus Σ|m·s| for the formats with a min term. */
    static double magnitude(BlockFormat fmt, MemorySegment w, long wOff, BlockFormat xFmt, MemorySegment x, long xOff, int n) {
        float[] wv = new float[n], xv = new float[n];
        fmt.dequantize(w, wOff, wv, 0, n);
        xFmt.dequantize(x, xOff, xv, 0, n);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.abs((double) wv[i] * xv[i]);
        if (fmt.type() == GgmlType.Q4_1 || fmt.type() == GgmlType.Q5_1) {
            for (int b = 0; b < n / 32; b++) {
                sum += Math.abs((double) Float.float16ToFloat(w.get(SHORT_LE, wOff + (long) b * fmt.type().typeSize + 2))
                        * Float.float16ToFloat(x.get(SHORT_LE, xOff + b * 36L + 2)));
            }
        }
        return sum;
    }
}
