package dev.hearth.engine.gguf;

import dev.hearth.engine.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a GGUF file. {@code shape} is in ggml order: {@code shape[0]} is the contiguous row length.
 * {@code data} is a slice of the file's mapping (zero copy); {@code fileOffset} is where it starts in the file.
 */
public record GgufTensor(String name, GgmlType type, long[] shape, long fileOffset, MemorySegment data) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** Number of rows: the product of every dimension but the first. */
    public long rows() {
        return elementCount() / shape[0];
    }

    public int cols() {
        return Math.toIntExact(shape[0]);
    }
}
