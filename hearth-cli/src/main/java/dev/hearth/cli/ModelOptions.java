package dev.hearth.cli;

import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.tensor.WorkerPool;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

/** The model (a file, a cached name or a hub reference) and how to load it, shared by generate and chat. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "A GGUF file, a cached model's name (see `hearth list`), or OWNER/REPO:QUANT (pulled first).")
    String model;

    @Mixin
    HubOptions hub;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "0",
            description = "Context length in tokens, rounded up to a multiple of 32 as llama.cpp does (default: the "
                    + "model's, at most " + LocalGenerator.DEFAULT_CONTEXT + ").")
    int contextLength;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "F16",
            description = "KV cache element type: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}, as llama.cpp).")
    KvCache.Type kvType;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "0",
            description = "Threads for the matrix products (default: one per available processor).")
    int threads;

    /** One request runs at a time from the terminal: one sequence, a queue of one. */
    LocalGenerator open(PrintWriter err) throws IOException {
        if (contextLength < 0) throw new CommandError("--ctx-size must be >= 0 (0 = the model's), got " + contextLength);
        if (threads < 0) throw new CommandError("--threads must be >= 0 (0 = one per processor), got " + threads);
        WorkerPool.configureShared(threads);
        Path file = ModelLocator.locate(model, hub, err);
        try {
            return LocalGenerator.open(file, new LocalGenerator.Options(contextLength, kvType, 1, 1, 0, 0));
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            throw cannotLoad(file, e);
        }
    }

    /** A file that is valid GGUF but not a model the engine runs (missing tensors, an unknown architecture). */
    static CommandError cannotLoad(Path model, RuntimeException e) {
        String m = String.valueOf(e.getMessage()).replace('\n', ' ');
        return new CommandError(model + ": cannot load the model: " + m, e);
    }
}
