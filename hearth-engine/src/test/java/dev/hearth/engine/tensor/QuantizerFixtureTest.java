package dev.hearth.engine.tensor;

import dev.hearth.engine.Fixtures;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Beyond {@link QuantFixtureTest} for the 32-block and float formats: the scalar dot (the specification the vector
 * dot is checked against) is itself within 1e-5 of llama.cpp's vec_dot, and Q8_1 activations are exact.
 */
class QuantizerFixtureTest {

    @ParameterizedTest
    @ValueSource(strings = {"f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "iq4_nl"})
    void scalarDotMatchesLlamaCpp(String name) throws Exception {
        try (GgufFile f = GgufFile.open(Fixtures.file("quant/" + name + ".gguf"))) {
            GgufTensor q = f.tensor("q");
            int rows = f.getInt("fixture.rows"), cols = f.getInt("fixture.cols");
            long rowBytes = q.type().byteSize(cols);
            MemorySegment act = f.tensor("act_q").data();
            float[] dot = QuantFixtureTest.floats(f.tensor("dot"));
            for (int r = 0; r < rows; r++) {
                float d = DotReference.scalar(q.type(), q.data(), r * rowBytes, act, 0, cols);
                QuantFixtureTest.assertClose(dot[r], d, name + " scalar dot row " + r);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"q4_1", "q5_1"})
    void q8_1ActivationsAreByteIdentical(String name) throws Exception {
        try (GgufFile f = GgufFile.open(Fixtures.file("quant/" + name + ".gguf")); Arena arena = Arena.ofConfined()) {
            GgufTensor actQ = f.tensor("act_q");
            assertEquals(GgmlType.Q8_1, actQ.type());
            float[] act = QuantFixtureTest.floats(f.tensor("act"));
            MemorySegment mine = arena.allocate(actQ.byteSize());
            Q8_1.INSTANCE.quantize(act, 0, mine, 0, act.length);
            assertEquals(-1, mine.mismatch(actQ.data()));
            // and its dequantization is the fixture's act_q_deq
            float[] deq = new float[act.length];
            Q8_1.INSTANCE.dequantize(actQ.data(), 0, deq, 0, act.length);
            float[] ref = QuantFixtureTest.floats(f.tensor("act_q_deq"));
            for (int i = 0; i < act.length; i++) {
                assertTrue(Float.floatToRawIntBits(ref[i]) == Float.floatToRawIntBits(deq[i]), "act_q_deq " + i);
            }
        }
    }
}
