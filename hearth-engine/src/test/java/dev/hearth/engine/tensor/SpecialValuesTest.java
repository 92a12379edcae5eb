package dev.hearth.engine.tensor;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

/** Edge cases of the non-K formats that the fixture rows do not pin down. */
class SpecialValuesTest {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static float[] roundTrip(BlockFormat fmt, float[] values) {
        MemorySegment q = MemorySegment.ofArray(new byte[(int) fmt.type().byteSize(values.length)]);
        fmt.quantize(values, 0, q, 0, values.length);
        float[] back = new float[values.length];
        fmt.dequantize(q, 0, back, 0, values.length);
        return back;
    }

    @Test
    void f16KeepsWhatItCanRepresent() {
        float[] exact = {0f, -0f, 1f, -2.5f, 65504f, -65504f, 0x1p-24f, -0x1p-24f, 0x1p-14f, 1023 * 0x1p-24f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] back = roundTrip(F16.INSTANCE, exact);
        for (int i = 0; i < exact.length; i++) {
            assertEquals(Float.floatToRawIntBits(exact[i]), Float.floatToRawIntBits(back[i]), "value " + exact[i]);
        }
    }

    @Test
    void f16RoundsToNearestEvenAndOverflowsToInfinity() {
        float[] in = {1 + 0x1p-11f, 1 + 3 * 0x1p-11f, 65520f, 65519f, -1e6f, 0x1p-26f, 0x1p-25f * 1.0001f, Float.NaN};
        float[] back = roundTrip(F16.INSTANCE, in);
        assertEquals(1f, back[0]);                  // tie, 1 is even
        assertEquals(1 + 0x1p-9f, back[1]);         // tie, rounds up to the even neighbour
        assertEquals(Float.POSITIVE_INFINITY, back[2]);
        assertEquals(65504f, back[3]);
        assertEquals(Float.NEGATIVE_INFINITY, back[4]);
        assertEquals(0f, back[5]);                  // below half the smallest subnormal
        assertEquals(0x1p-24f, back[6]);            // just above half of it
        assertTrue(Float.isNaN(back[7]));
    }

    @Test
    void bf16RoundsLikeGgml() {
        float[] in = {
                Float.intBitsToFloat(0x3F808000), // tie, lower half even: stays 0x3F80
                Float.intBitsToFloat(0x3F818000), // tie, lower half odd: up to 0x3F82
                Float.intBitsToFloat(0x3F808001), // above the tie: up
                Float.MAX_VALUE,                  // rounds past the largest bf16: infinity, as ggml
                -0f, Float.NEGATIVE_INFINITY, 1e-40f /* subnormal */};
        float[] back = roundTrip(BF16.INSTANCE, in);
        assertEquals(0x3F800000, Float.floatToRawIntBits(back[0]));
        assertEquals(0x3F820000, Float.floatToRawIntBits(back[1]));
        assertEquals(0x3F810000, Float.floatToRawIntBits(back[2]));
        assertEquals(Float.POSITIVE_INFINITY, back[3]);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(back[4]));
        assertEquals(Float.NEGATIVE_INFINITY, back[5]);
        assertEquals(Float.intBitsToFloat((Float.floatToRawIntBits(1e-40f) + 0x8000) >>> 16 << 16), back[6]);
    }

    @Test
    void bf16KeepsNaNsQuietAndNaN() {
        // a NaN whose payload is only in the low 16 bits would truncate to infinity; ggml forces the quiet bit
        int[] nans = {0x7F800001, 0xFF800001, 0x7FC00000, 0x7FFFFFFF};
        for (int bits : nans) {
            short h = HalfFloats.floatToBf16(Float.intBitsToFloat(bits));
            float back = HalfFloats.bf16ToFloat(h);
            assertTrue(Float.isNaN(back), Integer.toHexString(bits));
            assertEquals(bits >>> 31, Float.floatToRawIntBits(back) >>> 31, "sign of " + Integer.toHexString(bits));
            assertNotEquals(0, h & 0x40, "quiet bit of " + Integer.toHexString(bits));
        }
    }

    @Test
    void f16VectorWideningMatchesFloat16ToFloatForEveryHalf() {
        MemorySegment all = MemorySegment.ofArray(new byte[2 * 65536]);
        for (int h = 0; h < 65536; h++) all.set(SHORT_LE, 2L * h, (short) h);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        for (int h = 0; h < 65536; h += lanes) {
            float[] got = F16.widen(all, 2L * h).toArray();
            for (int k = 0; k < lanes; k++) {
                float want = Float.float16ToFloat((short) (h + k));
                if (Float.isNaN(want)) assertTrue(Float.isNaN(got[k]), "half 0x" + Integer.toHexString(h + k));
                else assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[k]),
                        "half 0x" + Integer.toHexString(h + k));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "IQ4_NL", "F16", "BF16", "F32"})
    void zerosStayZero(GgmlType type) {
        // (Q4_0 and Q5_0 give -0: their scale is max/-8 = -0, as in ggml; the delta form accepts either sign)
        float[] back = roundTrip(BlockFormat.of(type), new float[64]);
        for (float v : back) assertEquals(0f, v, 0f, type.name());
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "IQ4_NL", "F16", "BF16"})
    void aRowOfEqualValuesComesBackNearlyExact(GgmlType type) {
        // one value for the whole row: every quantizer can represent it up to the fp16 rounding of its scale (values
        // chosen so that scale stays a normal fp16; tiny rows are covered by the fixtures' row 5)
        for (float c : new float[] {1f, -1f, 0.3f, -0.05f, 1234.5f, -17.25f}) {
            float[] row = new float[96];
            java.util.Arrays.fill(row, c);
            float[] back = roundTrip(BlockFormat.of(type), row);
            double tol = (type == GgmlType.BF16 ? 0x1p-8 : 0x1p-10) * Math.abs(c);
            for (float v : back) assertEquals(c, v, tol, type + " row of " + c);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "IQ4_NL"})
    void blocksAreIndependentAndScaleFree(GgmlType type) {
        // Block 0 huge, block 1 tiny: each keeps its own scale, so the tiny one is not flushed to zero; the relative
        // round-trip error of a block does not depend on its magnitude's order.
        java.util.Random rnd = new java.util.Random(3);
        float[] row = new float[64];
        for (int i = 0; i < 32; i++) row[i] = (float) (rnd.nextGaussian() * 1e3);
        for (int i = 32; i < 64; i++) row[i] = (float) (rnd.nextGaussian() * 1e-3);
        float[] back = roundTrip(BlockFormat.of(type), row);
        double errBig = 0, errTiny = 0, big = 0, tiny = 0;
        for (int i = 0; i < 32; i++) {
            errBig += sq(back[i] - row[i]);
            big += sq(row[i]);
            errTiny += sq(back[i + 32] - row[i + 32]);
            tiny += sq(row[i + 32]);
        }
        double relBig = Math.sqrt(errBig / big), relTiny = Math.sqrt(errTiny / tiny);
        double bound = type == GgmlType.Q8_0 || type == GgmlType.Q8_1 ? 0.02 : 0.25;
        assertTrue(relBig < bound && relTiny < bound, type + ": relative errors " + relBig + ", " + relTiny);
    }

    static double sq(double v) {
        return v * v;
    }

    @Test
    void q8_0RoundsHalfwayCasesAwayFromZero() {
        // amax 127 gives d = 1 exactly, so x/d is x and every .5 is a true tie (C roundf, not Math.round)
        float[] row = new float[32];
        float[] ties = {127f, 2.5f, -2.5f, 0.5f, -0.5f, -126.5f, 3.49f, -3.51f};
        System.arraycopy(ties, 0, row, 0, ties.length);
        MemorySegment q = MemorySegment.ofArray(new byte[34]);
        Q8_0.INSTANCE.quantize(row, 0, q, 0, 32);
        byte[] qs = q.asSlice(2, ties.length).toArray(ValueLayout.JAVA_BYTE);
        assertArrayEquals(new byte[] {127, 3, -3, 1, -1, -127, 3, -4}, qs);
        assertEquals(1f, Float.float16ToFloat(q.get(SHORT_LE, 0)));
    }

    @Test
    void q8_1StoresTheRoundedBlockSum() {
        java.util.Random rnd = new java.util.Random(9);
        float[] row = new float[128];
        for (int i = 0; i < row.length; i++) row[i] = (float) rnd.nextGaussian();
        MemorySegment q = MemorySegment.ofArray(new byte[4 * 36]);
        Q8_1.INSTANCE.quantize(row, 0, q, 0, row.length);
        for (int b = 0; b < 4; b++) {
            float d = Float.float16ToFloat(q.get(SHORT_LE, b * 36L));
            int sum = 0;
            for (int j = 0; j < 32; j++) sum += q.get(ValueLayout.JAVA_BYTE, b * 36L + 4 + j);
            // s is d·Σq with the unrounded d, stored as fp16: within one fp16 step of the value from the stored d
            float s = Float.float16ToFloat(q.get(SHORT_LE, b * 36L + 2));
            assertEquals(sum * d, s, Math.abs(sum * d) * 0x1p-9 + 1e-7, "block " + b);
        }
    }

    @Test
    void q8_1HasNoDotOfItsOwn() {
        MemorySegment s = MemorySegment.ofArray(new byte[36]);
        UnsupportedOperationException e =
                assertThrows(UnsupportedOperationException.class, () -> Q8_1.INSTANCE.dot(s, 0, s, 0, 32));
        assertTrue(e.getMessage().contains("Q8_1"));
    }

    @Test
    void iq4nlPicksTheNearestLevel() {
        byte[] levels = IQ4_NL.LEVELS;
        for (int i = 0; i < levels.length; i++) assertEquals(i, IQ4_NL.bestIndex(levels[i]), "level " + levels[i]);
        assertEquals(0, IQ4_NL.bestIndex(-1000));
        assertEquals(15, IQ4_NL.bestIndex(1000));
        for (int i = 1; i < levels.length; i++) {
            float mid = (levels[i - 1] + levels[i]) / 2f;
            assertEquals(i - 1, IQ4_NL.bestIndex(Math.nextDown(mid)));
            assertEquals(i, IQ4_NL.bestIndex(Math.nextUp(mid)));
            assertEquals(i, IQ4_NL.bestIndex(mid), "a tie goes to the upper level, as in ggml");
        }
    }
}
