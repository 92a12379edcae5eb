package dev.hearth.engine.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The storage of {@link KvCache}, mainly its Q8_0 form (the F32 and F16 forms are checked through the fixtures). */
class KvCacheTest {

    private static float[] randomRow(Random r, int n, float magnitude) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * magnitude);
        return x;
    }

    /** The value Q8_0 storage gives back for value {@code i} of a layer. */
    private static float dequantized(byte[] quants, short[] scales, int i) {
        return quants[i] * Float.float16ToFloat(scales[i / KvCache.QK]);
    }

    @Test
    void q8RoundTripIsWithinHalfAStepOfEachBlock() {
        Random r = new Random(7);
        int width = 96;
        KvCache cache = new KvCache(KvCache.Type.Q8_0, 2, 64, width, width);
        for (int pos = 0; pos < 64; pos++) {
            float magnitude = (float) Math.pow(10, r.nextInt(7) - 3); // 1e-3 .. 1e3
            float[] k = randomRow(r, width, magnitude), v = randomRow(r, width, magnitude);
            cache.store(1, pos, k, 0, v, 0);
            for (int which = 0; which < 2; which++) {
                float[] x = which == 0 ? k : v;
                byte[] quants = which == 0 ? cache.k8[1] : cache.v8[1];
                short[] scales = which == 0 ? cache.kScale[1] : cache.vScale[1];
                for (int b = 0; b < width / KvCache.QK; b++) {
                    float amax = 0;
                    for (int j = 0; j < KvCache.QK; j++) amax = Math.max(amax, Math.abs(x[b * KvCache.QK + j]));
                    // half a quantization step, plus up to 127 times the fp16 rounding of the step (2^-11 relative,
                    // or 2^-25 absolute where the step is an fp16 subnormal)
                    double step = amax / 127.0;
                    double bound = (step / 2 + 127 * Math.max(step * 0x1p-11, 0x1p-25)) * 1.0001;
                    for (int j = 0; j < KvCache.QK; j++) {
                        int i = b * KvCache.QK + j;
                        float back = dequantized(quants, scales, pos * width + i);
                        assertTrue(Math.abs(back - x[i]) <= bound,
                                "pos " + pos + " value " + i + ": " + x[i] + " came back as " + back + " (bound " + bound + ")");
                    }
                }
            }
        }
    }

    @Test
    void q8QuantsFollowLlamaCpp() {
        float[] x = new float[32];
        x[0] = -2.54f;                 // the largest magnitude: quant -127, d = 0.02
        x[1] = 0.03f;                  // 1.5 steps: halves round away from zero -> 2
        x[2] = -0.03f;                 // -> -2
        x[3] = 0.0099f;                // just under half a step -> 0
        byte[] q = new byte[32];
        short[] d = new short[1];
        KvCache.quantize(x, 0, 32, q, 0, d, 0);
        assertEquals(Float.floatToFloat16(2.54f / 127), d[0]);
        assertEquals(-127, q[0]);
        assertEquals(0, q[3]);
        assertEquals(0, q[31]);
        // 0.03 / (2.54/127) is 1.5 up to float rounding; whichever way that rounds, the sign is symmetric
        assertEquals(-q[1], q[2]);
        assertTrue(q[1] == 1 || q[1] == 2, "0.03 quantized to " + q[1]);

        float[] zeros = new float[32];
        KvCache.quantize(zeros, 0, 32, q, 0, d, 0);
        assertEquals(0, Float.float16ToFloat(d[0]));
        for (byte b : q) assertEquals(0, b);
    }

    @Test
    void q8EnsureAndCopyFromKeepEverything() {
        Random r = new Random(3);
        int kw = 64, vw = 32, capacity = 600;
        KvCache a = new KvCache(KvCache.Type.Q8_0, 3, capacity, kw, vw);
        long initial = a.allocatedBytes();
        assertEquals(256L * (kw + vw) / 32 * 34 * 3, initial); // 34 bytes per block of 32
        float[][] ks = new float[capacity][], vs = new float[capacity][];
        for (int pos = 0; pos < capacity; pos++) {
            ks[pos] = randomRow(r, kw, 1);
            vs[pos] = randomRow(r, vw, 1);
            a.ensure(pos + 1);
            for (int l = 0; l < 3; l++) a.store(l, pos, ks[pos], 0, vs[pos], 0);
        }
        assertTrue(a.allocatedBytes() > initial);
        assertEquals((long) capacity * (kw + vw) / 32 * 34 * 3, a.allocatedBytes());

        KvCache b = new KvCache(KvCache.Type.Q8_0, 3, capacity, kw, vw);
        b.copyFrom(a, 500);
        KvCache fresh = new KvCache(KvCache.Type.Q8_0, 3, capacity, kw, vw);
        fresh.ensure(500);
        for (int pos = 0; pos < 500; pos++) fresh.store(2, pos, ks[pos], 0, vs[pos], 0);
        for (int i = 0; i < 500 * kw; i++) {
            assertEquals(fresh.k8[2][i], b.k8[2][i], "key quant " + i);
            assertEquals(fresh.kScale[2][i / 32], b.kScale[2][i / 32], "key scale " + i);
        }
        for (int i = 0; i < 500 * vw; i++) {
            assertEquals(fresh.v8[2][i], b.v8[2][i], "value quant " + i);
            assertEquals(fresh.vScale[2][i / 32], b.vScale[2][i / 32], "value scale " + i);
        }
        // positions past the copied length are untouched (still zero in the new cache)
        for (int i = 500 * kw; i < b.k8[2].length; i++) assertEquals(0, b.k8[2][i]);

        KvCache f16 = new KvCache(KvCache.Type.F16, 3, capacity, kw, vw);
        assertThrows(IllegalArgumentException.class, () -> f16.copyFrom(a, 10));
    }

    @Test
    void q8NeedsRowsOfWholeBlocks() {
        var e = assertThrows(IllegalArgumentException.class, () -> new KvCache(KvCache.Type.Q8_0, 1, 32, 48, 64));
        assertTrue(e.getMessage().contains("multiples of 32"), e.getMessage());
        new KvCache(KvCache.Type.F16, 1, 32, 48, 48); // the other types take any width
    }

    @Test
    void bytesPerValue() {
        assertEquals(4096, KvCache.Type.F32.bytes(1024));
        assertEquals(2048, KvCache.Type.F16.bytes(1024));
        assertEquals(1088, KvCache.Type.Q8_0.bytes(1024)); // 8.5 bits a value
    }
}
