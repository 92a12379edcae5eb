package dev.hearth.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The row loop the block formats' repacked layouts share: each row's blocks are rearranged group by group into a
 * new row of whole groups, the blocks after the last whole group copied as they are, rows padded to 64 bytes, all in
 * off-heap (huge-page) memory. What a group becomes is the format's business.
 */
final class Repacker {
    private Repacker() {}

    /** Writes group {@code g} of the GGUF row {@code in} into the repacked row {@code out}; false if it cannot. */
    interface Group {
        boolean write(byte[] in, byte[] out, int g);
    }

    /** Repacked rows and their stride in bytes. */
    record Rows(MemorySegment data, long stride) {}

    /**
     * {@code rows} rows of {@code blocks} blocks of {@code blockBytes} at {@code data} (one every {@code stride}
     * bytes), in groups of {@code groupBlocks} blocks that become {@code groupBytes} each; null when {@code group}
     * refuses one (a value the layout cannot represent).
     */
    static Rows repack(MemorySegment data, long stride, int rows, int blocks, int blockBytes, int groupBlocks,
                       int groupBytes, Arena arena, Group group) {
        int groups = blocks / groupBlocks, tail = blocks % groupBlocks;
        long newStride = ((long) groups * groupBytes + (long) tail * blockBytes + 63) & -64;
        MemorySegment dst = OffHeap.allocate(newStride * rows, arena);
        byte[] in = new byte[blocks * blockBytes], out = new byte[(int) newStride];
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, r * stride, in, 0, in.length);
            for (int g = 0; g < groups; g++) {
                if (!group.write(in, out, g)) return null;
            }
            System.arraycopy(in, groups * groupBlocks * blockBytes, out, groups * groupBytes, tail * blockBytes);
            MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, r * newStride, out.length);
        }
        return new Rows(dst, newStride);
    }
}
