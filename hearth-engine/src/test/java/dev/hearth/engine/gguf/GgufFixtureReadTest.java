package dev.hearth.engine.gguf;

import dev.hearth.engine.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every GGUF file in fixtures/ (written by llama.cpp and gguf-py) opens, holds what its README says, and is
 * written back byte for byte identical by {@link GgufWriter} from what the reader returned.
 */
class GgufFixtureReadTest {
    static List<Path> allFixtureFiles() throws IOException {
        try (Stream<Path> s = Files.walk(Fixtures.dir())) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
    }

    @Test
    void everyFixtureDirectoryHasFiles() throws IOException {
        List<Path> files = allFixtureFiles();
        for (String dir : List.of("quant", "tokenizer", "models", "models-newarch")) {
            assertTrue(files.stream().anyMatch(p -> p.getParent().getFileName().toString().equals(dir)),
                    "no .gguf file found in fixtures/" + dir);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureFile() throws IOException {
        Path root = Fixtures.dir();
        return allFixtureFiles().stream().map(p -> DynamicTest.dynamicTest(root.relativize(p).toString(), () -> check(p)));
    }

    private static void check(Path p) throws IOException {
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, f.version(), "fixtures are GGUF v3");
            assertEquals(Files.size(p), f.fileSize());
            long end = f.dataOffset();
            for (GgufTensor t : f.tensors().values()) {
                assertTrue(t.fileOffset() >= end, t.name() + " overlaps the tensor before it");
                assertEquals(0, t.fileOffset() % f.alignment(), t.name() + " aligned");
                assertEquals(t.type().byteSize(t.elementCount()), t.byteSize(), t.name() + " size");
                end = t.fileOffset() + t.byteSize();
            }
            assertTrue(end <= f.fileSize());

            String dir = p.getParent().getFileName().toString();
            switch (dir) {
                case "quant" -> checkQuantFixture(f, p);
                case "tokenizer" -> assertTrue(f.tensors().isEmpty(), "vocab-only file");
                case "models", "models-newarch" -> checkModel(f, p);
                default -> { }
            }
            assertArrayEquals(Files.readAllBytes(p), rewrite(f), "GgufWriter reproduces the file byte for byte");
        }
    }

    /** README section 1: tensor q has the file's type and [cols, rows] = [512, 8]. */
    private static void checkQuantFixture(GgufFile f, Path p) {
        GgufTensor q = f.tensor("q");
        assertNotNull(q, "tensor q");
        String stem = p.getFileName().toString().replace(".gguf", "");
        assertEquals(stem.toUpperCase(), q.type().name().toUpperCase());
        assertEquals(f.getString("fixture.type_name").toUpperCase(), q.type().name().toUpperCase());
        assertEquals(f.getLong("fixture.ggml_type"), q.type().id);
        assertArrayEquals(new long[]{f.getLong("fixture.cols"), f.getLong("fixture.rows")}, q.shape());
        for (String name : List.of("src", "deq")) assertArrayEquals(q.shape(), f.tensor(name).shape(), name);
    }

    /** Every layer 0..block_count-1 has tensors and no other does; the embedding matches the vocabulary. */
    private static void checkModel(GgufFile f, Path p) throws IOException {
        String arch = f.getString("general.architecture");
        long layers = f.getLong(arch + ".block_count");
        for (long i = 0; i < layers; i++) {
            String prefix = "blk." + i + ".";
            assertTrue(f.tensors().keySet().stream().anyMatch(n -> n.startsWith(prefix)), "no tensors for layer " + i);
        }
        assertFalse(f.tensors().containsKey("blk." + layers + ".attn_norm.weight"));
        int vocab = f.getArray("tokenizer.ggml.tokens").length();
        GgufTensor embd = f.tensor("token_embd.weight");
        assertEquals(f.getLong(arch + ".embedding_length"), embd.shape()[0]);
        assertEquals(vocab, embd.shape()[1]);
        // models/*.json (llama.cpp b4747 runs) record n_vocab; models-newarch/*.json do not
        Path json = p.resolveSibling(p.getFileName().toString().replace(".gguf", ".json"));
        if (p.getParent().getFileName().toString().equals("models")) {
            Matcher m = Pattern.compile("\"n_vocab\"\\s*:\\s*(\\d+)").matcher(Files.readString(json));
            assertTrue(m.find(), "n_vocab in " + json);
            assertEquals(Integer.parseInt(m.group(1)), vocab, "vocabulary size vs llama.cpp's n_vocab");
        }
    }

    private static byte[] rewrite(GgufFile f) throws IOException {
        GgufWriter w = new GgufWriter().version(f.version());
        for (Map.Entry<String, Object> e : f.metadata().entrySet()) w.put(e.getKey(), f.metadataType(e.getKey()), e.getValue());
        for (GgufTensor t : f.tensors().values()) w.addTensor(t.name(), t.type(), t.shape(), t.data());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        w.write(out);
        return out.toByteArray();
    }
}
