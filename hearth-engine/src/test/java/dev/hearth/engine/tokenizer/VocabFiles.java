package dev.hearth.engine.tokenizer;

import dev.hearth.engine.gguf.GgufArray;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufValueType;
import dev.hearth.engine.gguf.GgufWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** Vocabulary GGUFs derived from the fixture ones by changing metadata. */
final class VocabFiles {
    private VocabFiles() {}

    /**
     * Writes a copy of {@code source}'s metadata (vocabulary files have no tensors) without the keys in
     * {@code remove} and with {@code values} (String, Boolean or GgufArray) replaced or added.
     */
    static Path withMetadata(Path source, Path target, Map<String, ?> values, Set<String> remove) throws IOException {
        GgufWriter w = new GgufWriter();
        try (GgufFile f = GgufFile.open(source)) {
            for (var e : f.metadata().entrySet()) {
                if (!remove.contains(e.getKey())) w.put(e.getKey(), f.metadataType(e.getKey()), e.getValue());
            }
        }
        values.forEach((k, v) -> {
            switch (v) {
                case String s -> w.putString(k, s);
                case Boolean b -> w.putBool(k, b);
                case GgufArray a -> w.put(k, GgufValueType.ARRAY, a);
                default -> throw new IllegalArgumentException("unsupported value " + v);
            }
        });
        w.write(target);
        return target;
    }
}
