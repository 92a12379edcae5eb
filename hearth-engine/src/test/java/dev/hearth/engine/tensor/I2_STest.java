package dev.hearth.engine.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** I2_S: bitnet.cpp's bit layout, the ternary round trip, and the dot product against Q8_0 activations. */
class I2_STest {

    @Test
    void layoutRoundTripAndDot() {
        int n = 512;
        Random r = new Random(7);
        float[] t = new float[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(3) - 1;
        MemorySegment w = Arena.ofAuto().allocate(GgmlType.I2_S.tensorBytes(n));
        assertEquals(n / 4 + 32, w.byteSize());
        I2_S.INSTANCE.quantize(t, 0, w, 0, n);
        // bitnet.cpp's layout: byte p of each 32-byte group holds values p, p+32, p+64, p+96 from the high bits down
        for (int g = 0; g < n / 128; g++) {
            for (int p = 0; p < 32; p++) {
                int b = w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, g * 32L + p) & 0xff;
                for (int k = 0; k < 4; k++) assertEquals((int) t[g * 128 + 32 * k + p] + 1, (b >> (6 - 2 * k)) & 3);
            }
        }
        float[] back = new float[n];
        I2_S.INSTANCE.dequantize(w, 0, back, 0, n);
        assertArrayEquals(t, back);

        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        MemorySegment q = Arena.ofAuto().allocate(GgmlType.Q8_0.byteSize(n));
        Q8_0.INSTANCE.quantize(x, 0, q, 0, n);
        float[] xq = new float[n];
        Q8_0.INSTANCE.dequantize(q, 0, xq, 0, n);
        double expected = 0;
        for (int i = 0; i < n; i++) expected += t[i] * xq[i];
        assertEquals(expected, I2_S.INSTANCE.dot(w, 0, q, 0, n), 1e-4 * Math.abs(expected) + 1e-4);
        assertThrows(IllegalArgumentException.class, () -> I2_S.INSTANCE.dequantize(w, 0, back, 0, 100));
    }
}
