package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

/**
 * Species for the Vector API dot products of the 256-value super-block formats against Q8_K.
 *
 * <p>Every kernel works in int16: weight quants and Q8_K quants (|q| ≤ 127 by construction) are widened from
 * bytes, multiplied as shorts (the largest product, 127·127, fits), and only then widened to int by summing
 * adjacent lanes: reinterpreted as ints, {@code (v << 16 >> 16) + (v >> 16)}, cheaper than a lane-widening
 * conversion. That idiom is written out in each kernel rather than in a helper: C2 boxes the vectors passed to
 * a helper it does not inline, and it stops inlining one that already got compiled on its own.
 *
 * <p>{@code L} values are handled per step, L being the preferred short vector length: 32 with AVX-512, 16 with
 * AVX2. The packed layouts come in runs of 32 values stored in 32 consecutive bytes, so L must divide 32, and it
 * must be at least 16 so that one int lane group holds one 16-value sub-block; other machines use the scalar
 * kernels.
 */
final class KVectors {
    static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    /** Values per step. */
    static final int L = S.length();
    static final boolean ENABLED = L == 16 || L == 32;
    /** L bytes, widened into one S vector. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    /** L/2 int lanes: the pair sums of one S vector. */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, S.vectorShape());
    /** With L = 32: the upper half of a step, values 16..31 of a run, i.e. the second 16-value sub-block. */
    static final VectorMask<Short> S_HI = VectorMask.fromLong(S, 0xFFFF0000L);
    static final VectorMask<Integer> I_HI = VectorMask.fromLong(I, 0xFF00L);

    /** Fixed 16-value steps (IQ4_XS's nibble halves, TQ1_0's 16-byte tail), whatever the preferred width. */
    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
    static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;

    static final ByteOrder LITTLE = ByteOrder.LITTLE_ENDIAN;

    private KVectors() {}
}
