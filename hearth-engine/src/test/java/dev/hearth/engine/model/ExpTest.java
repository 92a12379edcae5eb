package dev.hearth.engine.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The 16-lane {@link Exp} paths give the scalar path's bits, including where they fall back to it. */
class ExpTest {

    @Test
    void vectorPathsMatchTheScalarOne() {
        Random random = new Random(3);
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -87.3f, -88.7f, -100f,
                -104f, 88.7f, 89f, 200f, -200f, Float.MIN_VALUE, -Float.MAX_VALUE, 1e-30f};
        for (int round = 0; round < 200; round++) {
            int n = 1 + random.nextInt(70);
            float[] x = new float[n];
            float scale = round % 4 == 0 ? 120f : round % 4 == 1 ? 20f : 3f;
            for (int i = 0; i < n; i++) {
                x[i] = random.nextInt(8) == 0 ? special[random.nextInt(special.length)] : (float) random.nextGaussian() * scale;
            }
            float shift = round % 3 == 0 ? 0f : (float) random.nextGaussian() * 5;
            int from = random.nextInt(n);
            float[] e = x.clone(), s = x.clone();
            Exp.expShifted(e, from, n, shift);
            Exp.silu(s, from, n);
            for (int i = 0; i < n; i++) {
                float wantE = i < from ? x[i] : Exp.exp(x[i] - shift), wantS = i < from ? x[i] : Exp.silu(x[i]);
                assertEquals(Float.floatToRawIntBits(wantE), Float.floatToRawIntBits(e[i]), "exp(" + x[i] + " - " + shift + ")");
                assertEquals(Float.floatToRawIntBits(wantS), Float.floatToRawIntBits(s[i]), "silu(" + x[i] + ")");
            }
        }
    }
}
