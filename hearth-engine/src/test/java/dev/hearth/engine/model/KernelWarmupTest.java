package dev.hearth.engine.model;

import dev.hearth.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;

class KernelWarmupTest {

    @Test
    void runsTheKernelsOfEveryTypeWithAVectorKernel() {
        EnumSet<GgmlType> types = EnumSet.noneOf(GgmlType.class);
        for (GgmlType t : GgmlType.values()) if (VectorDots.supportsType(t)) types.add(t);
        assertFalse(types.isEmpty());
        for (GgmlType t : types) assertDoesNotThrow(() -> KernelWarmup.run(EnumSet.of(t), 2), t.name());
    }
}
