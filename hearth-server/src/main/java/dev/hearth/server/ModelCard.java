package dev.hearth.server;

import dev.hearth.engine.generate.ModelInfo;
import dev.hearth.engine.gguf.GgufFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One entry of {@code GET /v1/models}: OpenAI's model object, plus a {@code meta} object read from the GGUF
 * header (field names as llama.cpp's server uses them, so clients written for it keep working).
 */
public record ModelCard(String id, String object, long created, String ownedBy, Meta meta) {

    /** {@code size} is the tensor data in bytes (as llama.cpp reports it); {@code fileSize} the whole file. */
    public record Meta(String architecture, String name, long nParams, long size, long fileSize,
                       Long nCtxTrain, Long nEmbd, Long nLayer, Long nVocab) {}

    public static ModelCard of(Path path, GgufFile f) throws IOException {
        String arch = f.getString("general.architecture", null);
        Meta meta = new Meta(arch, f.getString("general.name", null), f.parameterCount(), f.tensorBytes(), f.fileSize(),
                optionalLong(f, arch + ".context_length"), optionalLong(f, arch + ".embedding_length"),
                optionalLong(f, arch + ".block_count"),
                f.has("tokenizer.ggml.tokens") ? (long) f.getArray("tokenizer.ggml.tokens").length() : null);
        long created = Files.getLastModifiedTime(path).toMillis() / 1000;
        return new ModelCard(modelId(path), "model", created, "hearth", meta);
    }

    /** The card of a model known only through its engine (a backend server): what {@link ModelInfo} tells. */
    public static ModelCard of(ModelInfo info, long created) {
        Meta meta = new Meta(info.architecture(), info.id(), info.parameterCount(), info.fileSize(), info.fileSize(),
                info.trainedContextLength() > 0 ? (long) info.trainedContextLength() : null, null, null,
                info.vocabSize() > 0 ? (long) info.vocabSize() : null);
        return new ModelCard(info.id(), "model", created, "hearth", meta);
    }

    /** The model's id: its file name without the {@code .gguf} extension. */
    public static String modelId(Path path) {
        String name = path.getFileName().toString();
        return name.toLowerCase().endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    private static Long optionalLong(GgufFile f, String key) {
        try {
            return f.has(key) ? f.getLong(key) : null;
        } catch (IllegalArgumentException notAnInteger) {
            return null;
        }
    }
}
