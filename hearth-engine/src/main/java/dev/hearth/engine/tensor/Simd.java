package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The vector shapes the kernels are written for. They use 512-bit vectors (16 int or float lanes: one lane per
 * block of a 16-block group); {@link #FAST} says whether this CPU runs them natively (AVX-512). Where it does not,
 * {@link Matrix} uses the scalar {@link BlockFormat} path instead, since emulated vectors are far slower still.
 */
final class Simd {
    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
    static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    /** Lanes 8..15 of a 16-lane float vector: the second block of a two-block group. */
    static final VectorMask<Float> HIGH_8 = VectorMask.fromLong(F512, 0xFF00L);
    /** Keeps the sign and the 15 magnitude bits of an fp16 value shifted into float position (bits 27..13). */
    static final int HALF_BITS = 0x8FFFE000;

    static final boolean FAST = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            && !Boolean.getBoolean("hearth.scalarKernels");

    private Simd() {}

    /**
     * Encodes an fp16 scale for the repacked layouts: the same value times 2^-102, as a 16-bit pattern that
     * {@code (bits sign-extended << 13) & HALF_BITS} turns back into that float. Re-biasing by 2^-102 makes fp16
     * subnormals normal floats (a subnormal float operand costs ~150 cycles per instruction on x86). Returns -1 when
     * the value has no such encoding (|d| >= 128, inf, NaN).
     */
    static int encodeScale(short fp16) {
        float f = Float.float16ToFloat(fp16);
        if (!(Math.abs(f) < 128f)) return -1;
        int bits = Float.floatToRawIntBits(f * 0x1p-102f);
        return ((bits >>> 16) & 0x8000) | ((bits >>> 13) & 0x7FFF);
    }

    /** Inverse of {@link #encodeScale}, scalar (for tests and tails). */
    static float decodeScale(short enc) {
        return Float.intBitsToFloat((enc << 13) & HALF_BITS) * 0x1p102f;
    }
}
