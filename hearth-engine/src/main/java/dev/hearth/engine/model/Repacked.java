package dev.hearth.engine.model;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix copied at load into groups of rows side by side (one vector lane per row), where that gives
 * llama.cpp's order of float operations with lane-wise vector steps instead of horizontal sums.
 *
 * <p>Each copy moves one block (or superblock) of a group per method call: the JIT compiles so small and so often
 * called a method within the first few thousand calls, where one loop nest over a whole matrix would run interpreted
 * until its on-stack replacement is compiled (seconds, on a large model).
 */
abstract sealed class Repacked permits Q4_0x32, Q8_0x32, Q6_Kx32, Q4_Kx32 {
    /** Rows per group: ranges of rows given to {@link #groups} start at multiples of it. */
    static final int GROUP_ROWS = 32;

    /** The copy, in the subclass's layout. */
    final MemorySegment data;
    /** Whole groups held, and blocks (or superblocks) per row. */
    final int groups, blocks;

    Repacked(MemorySegment data, int groups, int blocks) {
        this.data = data;
        this.groups = groups;
        this.blocks = blocks;
    }

    /** {@code v}'s low 16 bits twice in an int: broadcast as an int (a plain load), it is an int16 vector of {@code v}. */
    static int twice(int v) {
        return (v & 0xFFFF) * 0x10001;
    }

    /** Rows held here, from row 0; the rows after them stay with the GGUF layout. */
    final int packedRows() {
        return groups * GROUP_ROWS;
    }

    /** Bytes of the copy. */
    final long bytes() {
        return data.byteSize();
    }

    /**
     * Outputs {@code y[i*rows + r]} for the rows of groups {@code [gFrom, gTo)} and every input row i ({@code xv},
     * {@code xd}: the input as values and scales of the weight type's vec_dot type; {@code xf}: the same values as
     * floats, for a Q8_0 or Q8_K input of 4 rows or more, else null; {@code xSums}: the sums of each 32 values).
     */
    abstract void groups(short[] xv, float[] xf, float[] xd, int[] xSums, int batch, int rows, float[] y, int gFrom, int gTo);
}
