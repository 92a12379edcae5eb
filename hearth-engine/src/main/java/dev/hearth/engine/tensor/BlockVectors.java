package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector shapes shared by the 32-value block dots. Half a block (16 values) is one 128-bit byte vector; widened to
 * int16 it is one 256-bit short vector; its 16 products go to float in {@link #PARTS} pieces of the preferred float
 * width (one piece with AVX-512, two with AVX2), capped at 512 bits so a piece never holds more than 16 lanes.
 * <p>
 * High nibbles are taken with a 16-bit lane shift and a byte mask: x86 has no byte shift, and the Vector API's
 * byte LSHR costs widen/shift/narrow shuffles (about 15% of a block dot).
 */
final class BlockVectors {
    private BlockVectors() {}

    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    static final VectorSpecies<Float> FS =
            FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> IS = FS.withLanes(int.class);
    static final int PARTS = 16 / FS.length();
    /** Lane j holds 1 << j: ANDed with a broadcast 16-bit field, lane j tests bit j (Q5 high bits). */
    static final ShortVector BIT16 = ShortVector.fromArray(S16,
            new short[] {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, (short) 32768}, 0);
}
