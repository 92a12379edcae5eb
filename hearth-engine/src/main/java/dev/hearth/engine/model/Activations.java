package dev.hearth.engine.model;

import dev.hearth.engine.tensor.BlockFormat;
import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.engine.tensor.WorkerPool;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.EnumMap;

/**
 * The inputs of the model's matrix products ({@link Matrix}), built on {@link BlockFormat}. Holds {@code batch} input rows of {@code cols} floats and, computed once per input, their
 * quantized form for each vec_dot type asked for (llama.cpp quantizes the input of every matmul to the weight's
 * vec_dot type; Q, K and V share one input, so do gate and up).
 */
final class Activations {
    private final int cols;
    private int batch;
    private float[] values = new float[0];
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final EnumMap<GgmlType, Quantized> blocks = new EnumMap<>(GgmlType.class);
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final float ROUND = 0x1.8p23f;

    Activations(int cols) {
        if (cols <= 0) throw new IllegalArgumentException("cols must be positive, got " + cols);
        this.cols = cols;
    }

    int cols() {
        return cols;
    }

    int batch() {
        return batch;
    }

    /** Sets {@code batch} input rows; row {@code b} is {@code x[offset + b*cols ...]}. The values are copied. */
    Activations set(float[] x, int offset, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (values.length < batch * cols) values = new float[batch * cols];
        System.arraycopy(x, offset, values, 0, batch * cols);
        this.batch = batch;
        for (Quantized q : blocks.values()) q.ready = false;
        return this;
    }

    /**
     * llama.cpp's x86 {@code quantize_row_q8_0}/{@code _q8_1} (what its CPU backend runs, rather than the
     * {@code _ref} versions): {@code id = 127/max} rather than {@code 1/d}, and rounding half to even.
     */
    static void simdQ8(float[] x, int off, MemorySegment dst, long o, int n, boolean q81) {
        int bytes = q81 ? 36 : 34, qo = q81 ? 4 : 2;
        for (int b = 0; b < n / 32; b++) {
            FloatVector v0 = FloatVector.fromArray(F512, x, off + b * 32), v1 = FloatVector.fromArray(F512, x, off + b * 32 + 16);
            float max = v0.abs().max(v1.abs()).reduceLanes(VectorOperators.MAX);
            float d = max / 127.f;
            float id = max != 0 ? 127.f / max : 0;
            long bo = o + (long) b * bytes;
            dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, bo, Float.floatToFloat16(d));
            // |x·id| <= 127: adding and taking away 1.5·2^23 rounds to the nearest integer, ties to even, as rint
            IntVector q0 = (IntVector) v0.mul(id).add(ROUND).sub(ROUND).convert(VectorOperators.F2I, 0);
            IntVector q1 = (IntVector) v1.mul(id).add(ROUND).sub(ROUND).convert(VectorOperators.F2I, 0);
            q0.convertShape(VectorOperators.I2B, B128, 0).intoMemorySegment(dst, bo + qo, ByteOrder.LITTLE_ENDIAN);
            q1.convertShape(VectorOperators.I2B, B128, 0).intoMemorySegment(dst, bo + qo + 16, ByteOrder.LITTLE_ENDIAN);
            if (q81) {
                int sum = q0.add(q1).reduceLanes(VectorOperators.ADD);
                dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, bo + 2, Float.floatToFloat16(d * sum));
            }
        }
    }

    /** The input quantized to {@code type}'s blocks, row {@code b} at {@code b * type.byteSize(cols)}. */
    MemorySegment blocks(GgmlType type) {
        return quantized(type).segment;
    }

    /** The same blocks as a byte array (what the scalar {@link GgmlDots} reads). */
    byte[] blockBytes(GgmlType type) {
        return quantized(type).bytes;
    }

    /**
     * The int8 values of the Q8_0 or Q8_K blocks widened to int16, {@code cols} per input row in value order (what the
     * vector kernels multiply with), computed once per input.
     */
    short[] values(GgmlType type) {
        Quantized q = quantized(type);
        if (q.values == null) widen(type, q);
        return q.values;
    }

    /**
     * {@link #values} as floats, for Q8_0 and Q8_K inputs of 4 rows or more (the kernels that multiply several rows at once
     * do it in float: exact for these small integers), else null.
     */
    float[] floatValues(GgmlType type) {
        Quantized q = quantized(type);
        if (q.values == null) widen(type, q);
        return q.floats;
    }

    /** The scale of each Q8_0 or Q8_K block as a float, {@code cols / blockSize} per input row. */
    float[] scales(GgmlType type) {
        Quantized q = quantized(type);
        if (q.values == null) widen(type, q);
        return q.scales;
    }

    /** Sums of each 32 consecutive Q8_K values (exact ints; the K-quants' min terms), {@code cols / 32} per input row. */
    int[] sums32(GgmlType type) {
        Quantized q = quantized(type);
        if (q.values == null) widen(type, q);
        return q.sums;
    }

    private Quantized quantized(GgmlType type) {
        Quantized q = blocks.get(type);
        long rowBytes = type.byteSize(cols);
        if (q == null || q.bytes.length < rowBytes * batch) {
            q = new Quantized(new byte[Math.toIntExact(rowBytes * batch)]);
            blocks.put(type, q);
        } else if (q.ready) {
            return q;
        }
        if (batch == 1) quantize(this, q, type, 0, 1);
        else WorkerPool.shared().forEachRange(batch, 1, this, q, type, Activations::quantize); // rows are independent
        q.ready = true;
        q.values = null;
        return q;
    }

    private static void quantize(Activations x, Quantized q, GgmlType type, int from, int to) {
        BlockFormat fmt = BlockFormat.of(type);
        long rowBytes = type.byteSize(x.cols);
        for (int b = from; b < to; b++) {
            if (type == GgmlType.Q8_0 || type == GgmlType.Q8_1) simdQ8(x.values, b * x.cols, q.segment, b * rowBytes, x.cols, type == GgmlType.Q8_1);
            else fmt.quantize(x.values, b * x.cols, q.segment, b * rowBytes, x.cols);
        }
    }

    private void widen(GgmlType type, Quantized q) {
        int n = batch * cols, nb = n / type.blockSize;
        if (q.valueArray == null || q.valueArray.length < n) {
            q.valueArray = new short[n];
            q.scaleArray = new float[nb];
            q.sumArray = new int[n / 32];
        }
        boolean floats = (type == GgmlType.Q8_0 || type == GgmlType.Q8_K) && batch >= 4;
        if (floats && (q.floatArray == null || q.floatArray.length < n)) q.floatArray = new float[n];
        if (batch == 1) widen(q, type, floats, 0, nb);
        else WorkerPool.shared().forEachRange(nb, 1, q, type, floats, Activations::widen); // blocks are independent
        q.floats = floats ? q.floatArray : null;
        q.values = q.valueArray;
        q.scales = q.scaleArray;
        q.sums = q.sumArray;
    }

    /** Blocks {@code [from, to)}: scales, values (and as floats), sums of each 32 values. */
    private static void widen(Quantized q, GgmlType type, boolean floats, int from, int to) {
        int blockSize = type.blockSize, blockBytes = type.typeSize, qs = type == GgmlType.Q8_K ? 4 : 2;
        byte[] src = q.bytes;
        for (int b = from; b < to; b++) {
            int o = b * blockBytes;
            q.scaleArray[b] = type == GgmlType.Q8_K ? q.segment.get(FLOAT, o) : Float.float16ToFloat(q.segment.get(SHORT, o));
            for (int j = 0; j < blockSize; j++) q.valueArray[b * blockSize + j] = src[o + qs + j];
        }
        for (int g = from * blockSize / 32; g < to * blockSize / 32; g++) {
            int sum = 0;
            for (int j = 0; j < 32; j++) sum += q.valueArray[g * 32 + j];
            q.sumArray[g] = sum;
        }
        if (floats) for (int i = from * blockSize; i < to * blockSize; i++) q.floatArray[i] = q.valueArray[i];
    }

    /** One quantized form of the input: its blocks and, once asked for, their values widened for the vector kernels. */
    private static final class Quantized {
        final byte[] bytes;
        final MemorySegment segment;
        boolean ready;
        short[] values, valueArray;
        float[] floats, floatArray, scales, scaleArray;
        int[] sums, sumArray;

        Quantized(byte[] bytes) {
            this.bytes = bytes;
            this.segment = MemorySegment.ofArray(bytes);
        }
    }
}
