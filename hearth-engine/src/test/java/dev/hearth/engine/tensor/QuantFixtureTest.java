package dev.hearth.engine.tensor;

import dev.hearth.engine.Fixtures;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every type against llama.cpp's quantized blocks (fixtures/quant, README section 1 and 7.4): dequantize bit for
 * bit, the activation quantizer byte for byte, vec_dot within 1e-5 relative, and our own quantizer's round trip
 * no worse than llama.cpp's.
 */
class QuantFixtureTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static float[] floats(GgufTensor t) {
        return t.data().toArray(F);
    }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K", "q3_K", "q4_K", "q5_K",
            "q6_K", "q8_K", "iq4_nl", "iq4_xs", "tq1_0", "tq2_0"})
    void matchesLlamaCpp(String name) throws Exception {
        try (GgufFile f = GgufFile.open(Fixtures.file("quant/" + name + ".gguf"))) {
            GgufTensor q = f.tensor("q");
            BlockFormat fmt = BlockFormat.of(q.type());
            assertEquals(f.getString("fixture.type_name").toUpperCase(Locale.ROOT), q.type().name()); // ggml writes "q4_K"
            assertEquals(f.getInt("fixture.type_size"), q.type().typeSize);
            assertEquals(f.getInt("fixture.block_size"), q.type().blockSize);
            int rows = f.getInt("fixture.rows"), cols = f.getInt("fixture.cols");
            long rowBytes = q.type().byteSize(cols);
            float[] src = floats(f.tensor("src"));
            float[] deq = floats(f.tensor("deq"));

            // 1. dequantize, bit for bit
            float[] ours = new float[rows * cols];
            for (int r = 0; r < rows; r++) fmt.dequantize(q.data(), r * rowBytes, ours, r * cols, cols);
            for (int i = 0; i < ours.length; i++) {
                if (Float.floatToRawIntBits(ours[i]) != Float.floatToRawIntBits(deq[i])) {
                    fail(name + ": dequantized value " + i + " (row " + i / cols + ") is " + ours[i] + ", llama.cpp has " + deq[i]);
                }
            }

            // 2. quantize: byte for byte what ggml_quantize_chunk wrote, so the round trip is llama.cpp's
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment mine = arena.allocate(rowBytes * rows);
                float[] back = new float[cols];
                for (int r = 0; r < rows; r++) {
                    fmt.quantize(src, r * cols, mine, r * rowBytes, cols);
                    long m = mine.asSlice(r * rowBytes, rowBytes).mismatch(q.data().asSlice(r * rowBytes, rowBytes));
                    assertEquals(-1, m, name + " row " + r + ": quantized bytes differ from llama.cpp at row byte " + m
                            + " (block " + (m < 0 ? -1 : m / q.type().typeSize) + ")");
                    fmt.dequantize(mine, r * rowBytes, back, 0, cols);
                    double errOurs = 0, errRef = 0;
                    for (int i = 0; i < cols; i++) {
                        double s = src[r * cols + i];
                        errOurs += (back[i] - s) * (back[i] - s);
                        errRef += (deq[r * cols + i] - s) * (deq[r * cols + i] - s);
                    }
                    assertTrue(Math.sqrt(errOurs) <= 1.02 * Math.sqrt(errRef) + 1e-6,
                            name + " row " + r + ": round-trip error " + Math.sqrt(errOurs) + " vs llama.cpp " + Math.sqrt(errRef));
                }
            }

            if (!f.getBool("fixture.has_vec_dot", false)) return;

            // 3. activation quantization, byte for byte
            GgufTensor actQ = f.tensor("act_q");
            BlockFormat actFmt = BlockFormat.of(actQ.type());
            assertEquals(fmt.vecDotType(), actQ.type(), name + ": vec_dot type");
            float[] act = floats(f.tensor("act"));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment mineAct = arena.allocate(actQ.byteSize());
                actFmt.quantize(act, 0, mineAct, 0, cols);
                long mismatch = mineAct.mismatch(actQ.data());
                assertEquals(-1, mismatch, name + ": activation quantized to " + actQ.type() + " differs at byte " + mismatch);
            }

            // 4. vec_dot per row against llama.cpp's quantized activation
            float[] dot = floats(f.tensor("dot"));
            float[] dotMm = floats(f.tensor("dot_mm"));
            for (int r = 0; r < rows; r++) {
                float d = fmt.dot(q.data(), r * rowBytes, actQ.data(), 0, cols);
                assertClose(dot[r], d, name + " dot row " + r);
                assertEquals(dot[r], dotMm[r], name + ": fixture dot_mm equals dot");
            }
        }
    }

    static void assertClose(float expected, float actual, String what) {
        double tol = Math.max(1e-5 * Math.abs(expected), 1e-6);
        assertTrue(Math.abs(expected - actual) <= tol, what + ": expected " + expected + " got " + actual);
    }
}
