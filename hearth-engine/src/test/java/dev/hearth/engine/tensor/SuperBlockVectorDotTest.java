package dev.hearth.engine.tensor;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Vector API dot products of the super-block formats against their scalar references (which the fixture
 * test pins to llama.cpp), on random rows of several lengths: rows our quantizers produce, and rows of random
 * bytes, which reach every quant and scale value (extreme scales are where an int16 overflow would show).
 */
class SuperBlockVectorDotTest {

    interface Dot {
        float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n);
    }

    record Kernel(BlockFormat format, Dot scalar, Dot vector, int[] fp16Offsets) {}

    static final Kernel[] KERNELS = {
            new Kernel(Q2_K.INSTANCE, Q2_K::dotScalar, Q2_K::dotVector, new int[] {Q2_K.D, Q2_K.DMIN}),
            new Kernel(Q3_K.INSTANCE, Q3_K::dotScalar, Q3_K::dotVector, new int[] {Q3_K.D}),
            new Kernel(Q4_K.INSTANCE, Q4_K::dotScalar, Q4_K::dotVector, new int[] {Q4_K.D, Q4_K.DMIN}),
            new Kernel(Q5_K.INSTANCE, Q5_K::dotScalar, Q5_K::dotVector, new int[] {Q5_K.D, Q5_K.DMIN}),
            new Kernel(Q6_K.INSTANCE, Q6_K::dotScalar, Q6_K::dotVector, new int[] {Q6_K.D}),
            new Kernel(IQ4_XS.INSTANCE, IQ4_XS::dotScalar, IQ4_XS::dotVector, new int[] {IQ4_XS.D}),
            new Kernel(TQ1_0.INSTANCE, TQ1_0::dotScalar, TQ1_0::dotVector, new int[] {TQ1_0.D}),
            new Kernel(TQ2_0.INSTANCE, TQ2_0::dotScalar, TQ2_0::dotVector, new int[] {TQ2_0.D}),
    };

    static final int[] LENGTHS = {256, 512, 1280, 4096};
    static final int ROWS = 5;

    @Test
    void vectorDotEqualsScalarDot() {
        Assumptions.assumeTrue(KVectors.ENABLED, "no Vector API kernels for " + KVectors.L + " shorts per vector");
        Random rnd = new Random(42);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : LENGTHS) {
                for (int actKind = 0; actKind < 2; actKind++) {
                    float[] act = new float[n];
                    for (int i = 0; i < n; i++) {
                        // kind 1: every quant at ±127, the int16 worst case
                        act[i] = actKind == 0 ? (float) rnd.nextGaussian() * (i % 50 == 0 ? 6 : 1) : (rnd.nextBoolean() ? 1f : -1f);
                    }
                    MemorySegment x = arena.allocate(GgmlType.Q8_K.byteSize(n));
                    Q8_K.INSTANCE.quantize(act, 0, x, 0, n);
                    float[] xd = new float[n];
                    Q8_K.INSTANCE.dequantize(x, 0, xd, 0, n);

                    for (Kernel k : KERNELS) {
                        GgmlType t = k.format().type();
                        long rowBytes = t.byteSize(n);
                        MemorySegment w = arena.allocate(rowBytes * ROWS * 2);
                        float[] src = new float[n];
                        for (int r = 0; r < ROWS; r++) {
                            for (int i = 0; i < n; i++) src[i] = (float) (rnd.nextGaussian() * (r + 1) + (r == 2 ? 0.7 : 0));
                            k.format().quantize(src, 0, w, r * rowBytes, n);
                        }
                        for (int r = ROWS; r < 2 * ROWS; r++) {
                            for (long i = 0; i < rowBytes; i++) w.set(KQuants.I8, r * rowBytes + i, (byte) rnd.nextInt());
                            for (long blk = 0; blk < n / 256; blk++) {
                                for (int off : k.fp16Offsets()) {
                                    HalfFloats.putFp16(w, r * rowBytes + blk * t.typeSize + off, (float) (rnd.nextDouble() * 0.02));
                                }
                            }
                        }
                        float[] wd = new float[n];
                        for (int r = 0; r < 2 * ROWS; r++) {
                            float scalar = k.scalar().dot(w, r * rowBytes, x, 0, n);
                            float vector = k.vector().dot(w, r * rowBytes, x, 0, n);
                            k.format().dequantize(w, r * rowBytes, wd, 0, n);
                            double magnitude = 0;
                            for (int i = 0; i < n; i++) magnitude += Math.abs((double) wd[i] * xd[i]);
                            assertEquals(scalar, vector, 1e-5 * magnitude + 1e-30,
                                    t + " n=" + n + " row " + r + " act kind " + actKind);
                            assertEquals(vector, k.format().dot(w, r * rowBytes, x, 0, n), 0f, t + ": dot uses the vector kernel");
                        }
                    }
                }
            }
        }
    }
}
