package dev.hearth.engine.model;

import dev.hearth.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class KernelWarmupTest {

    @Test
    void runsTheKernelsOfEveryTypeWithAVectorKernel() {
        EnumSet<GgmlType> types = EnumSet.noneOf(GgmlType.class);
        for (GgmlType t : GgmlType.values()) if (VectorDots.supportsType(t)) types.add(t);
        assertFalse(types.isEmpty());
        for (GgmlType t : types) assertDoesNotThrow(() -> new KernelWarmup().run(EnumSet.of(t), 2), t.name());
    }

    @Test
    void stopEndsTheRounds() {
        KernelWarmup warmup = new KernelWarmup();
        warmup.stop();
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> warmup.run(EnumSet.of(GgmlType.Q8_0), Integer.MAX_VALUE));
    }
}
