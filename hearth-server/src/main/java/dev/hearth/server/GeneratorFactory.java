package dev.hearth.server;

import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.model.KvCache;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens the inference engine for a model file. The server calls it once, after it has validated the GGUF header.
 * {@link #UNAVAILABLE} is what a build without the engine uses: the server then still answers /health and
 * /v1/models, and the generation routes answer 501.
 */
@FunctionalInterface
public interface GeneratorFactory {
    Generator open(Path model, EngineSettings settings) throws IOException;

    /** Engine knobs from the command line; 0 means the engine's default. */
    record EngineSettings(int threads, int contextLength, int parallel, int maxQueue, int kvBudget, KvCache.Type kvType) {
        public static final EngineSettings DEFAULTS = new EngineSettings(0, 0, 0, 64, 0);

        public EngineSettings {
            java.util.Objects.requireNonNull(kvType, "kvType");
        }

        /** With llama.cpp's default F16 KV cache. */
        public EngineSettings(int threads, int contextLength, int parallel, int maxQueue, int kvBudget) {
            this(threads, contextLength, parallel, maxQueue, kvBudget, KvCache.Type.F16);
        }

        public EngineSettings(int threads, int contextLength, int parallel) {
            this(threads, contextLength, parallel, 64, 0);
        }
    }

    GeneratorFactory UNAVAILABLE = (model, settings) -> {
        throw new UnsupportedOperationException("inference engine not available in this build");
    };
}
