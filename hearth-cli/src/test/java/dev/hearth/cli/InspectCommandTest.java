package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.gguf.GgufArray;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.gguf.GgufValueType;
import dev.hearth.engine.gguf.GgufWriter;
import dev.hearth.engine.tensor.GgmlType;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static dev.hearth.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code hearth inspect} on every fixture file (text and JSON), on made-up files, and on damaged ones. */
class InspectCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** llama.cpp's value type names, as the type column shows them. */
    static String typeName(GgufValueType t) {
        return Map.ofEntries(Map.entry(GgufValueType.UINT8, "u8"), Map.entry(GgufValueType.INT8, "i8"),
                Map.entry(GgufValueType.UINT16, "u16"), Map.entry(GgufValueType.INT16, "i16"),
                Map.entry(GgufValueType.UINT32, "u32"), Map.entry(GgufValueType.INT32, "i32"),
                Map.entry(GgufValueType.UINT64, "u64"), Map.entry(GgufValueType.INT64, "i64"),
                Map.entry(GgufValueType.FLOAT32, "f32"), Map.entry(GgufValueType.FLOAT64, "f64"),
                Map.entry(GgufValueType.BOOL, "bool"), Map.entry(GgufValueType.STRING, "str"),
                Map.entry(GgufValueType.ARRAY, "arr")).get(t);
    }

    static void assertLine(String output, String regex, String what) {
        assertTrue(Pattern.compile(regex, Pattern.MULTILINE).matcher(output).find(),
                what + ": no line matching " + regex + " in\n" + output);
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureFile() throws Exception {
        Path root = CliFixtures.dir();
        return CliFixtures.ggufFiles().stream().map(p -> DynamicTest.dynamicTest(root.relativize(p).toString(), () -> {
            try (GgufFile f = GgufFile.open(p)) {
                checkText(p, f);
                checkJson(p, f);
            }
        }));
    }

    private static void checkText(Path p, GgufFile f) throws Exception {
        Cli.Run r = run("inspect", p.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err());
        String out = r.out();
        assertLine(out, "^GGUF version +" + f.version() + "$", "version");
        assertLine(out, "^alignment +" + f.alignment() + "$", "alignment");
        assertLine(out, "^file size +" + Files.size(p.toAbsolutePath()) + " bytes", "file size");
        assertLine(out, "^metadata: " + f.metadata().size() + " keys?$", "key count");
        for (String key : f.metadata().keySet()) {
            GgufValueType t = f.metadataType(key);
            String type = t == GgufValueType.ARRAY
                    ? typeName(((GgufArray) f.metadata().get(key)).elementType()) + "[" + ((GgufArray) f.metadata().get(key)).length() + "]"
                    : typeName(t);
            String value = switch (f.metadata().get(key)) {
                case String s when s.length() < 40 && s.chars().allMatch(c -> c >= 0x20 && c != '"' && c != '\\') -> "\"" + s + "\"";
                case Integer i when t == GgufValueType.UINT32 -> Integer.toUnsignedString(i);
                case Boolean b -> b.toString();
                default -> "";
            };
            assertLine(out, "^  " + Pattern.quote(key) + " +" + Pattern.quote(type) + " +" + Pattern.quote(value), "key " + key);
        }
        assertLine(out, "^tensors: " + f.tensors().size() + "$", "tensor count");
        long params = 0, bytes = 0;
        Map<GgmlType, Integer> perType = new LinkedHashMap<>();
        for (GgufTensor t : f.tensors().values()) {
            String shape = Arrays.stream(t.shape()).mapToObj(Long::toString).reduce((a, b) -> a + ", " + b).orElseThrow();
            assertLine(out, "^  " + Pattern.quote(t.name()) + " +" + t.type().name() + " +" + Pattern.quote("[" + shape + "]")
                    + " +" + t.byteSize() + " +" + t.fileOffset() + "$", "tensor " + t.name());
            params += Arrays.stream(t.shape()).reduce(1, (a, b) -> a * b);
            bytes += t.byteSize();
            perType.merge(t.type(), 1, Integer::sum);
        }
        assertLine(out, "^  tensors +" + f.tensors().size() + "$", "total tensors");
        assertLine(out, "^  tensor data +" + bytes + " bytes", "total bytes");
        assertLine(out, "^  parameters +" + params + " \\(", "total parameters");
        for (var e : perType.entrySet()) {
            assertLine(out, "^  by type .*\\b" + e.getKey().name() + " " + e.getValue() + "\\b", "count of " + e.getKey());
        }
    }

    private static void checkJson(Path p, GgufFile f) throws Exception {
        Cli.Run r = run("inspect", "--json", "--full", p.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(f.version(), j.path("version").asInt());
        assertEquals(f.alignment(), j.path("alignment").asInt());
        assertEquals(f.dataOffset(), j.path("data_offset").asLong());
        List<String> keys = new ArrayList<>();
        j.path("metadata").fieldNames().forEachRemaining(keys::add);
        assertEquals(new ArrayList<>(f.metadata().keySet()), keys, "every key, in file order");
        for (String key : keys) {
            JsonNode m = j.path("metadata").path(key);
            assertEquals(typeName(f.metadataType(key)), m.path("type").asText(), key);
            assertFalse(m.has("truncated"), "--full truncates nothing");
            Object v = f.metadata().get(key);
            if (v instanceof GgufArray a) {
                assertEquals(a.length(), m.path("count").asInt(), key);
                assertEquals(a.length(), m.path("value").size(), key + ": --full shows every element");
                if (a.values() instanceof String[] strings) {
                    for (int i = 0; i < strings.length; i++) assertEquals(strings[i], m.path("value").get(i).asText(), key + "[" + i + "]");
                }
            } else if (v instanceof String s) {
                assertEquals(s, m.path("value").asText(), key);
            }
        }
        JsonNode tensors = j.path("tensors");
        assertEquals(f.tensors().size(), tensors.size());
        Iterator<JsonNode> it = tensors.elements();
        long params = 0, bytes = 0;
        for (GgufTensor t : f.tensors().values()) {
            JsonNode n = it.next();
            assertEquals(t.name(), n.path("name").asText());
            assertEquals(t.type().name(), n.path("type").asText());
            long[] shape = new long[n.path("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = n.path("shape").get(i).asLong();
            assertArrayEquals(t.shape(), shape, t.name());
            assertEquals(t.byteSize(), n.path("bytes").asLong());
            assertEquals(t.fileOffset(), n.path("offset").asLong());
            params += Arrays.stream(t.shape()).reduce(1, (a, b) -> a * b);
            bytes += t.byteSize();
        }
        JsonNode totals = j.path("totals");
        assertEquals(f.tensors().size(), totals.path("tensors").asInt());
        assertEquals(bytes, totals.path("bytes").asLong());
        assertEquals(params, totals.path("parameters").asLong());
        int typed = 0;
        for (var e : totals.path("by_type").properties()) {
            GgmlType type = GgmlType.valueOf(e.getKey());
            assertEquals(f.tensors().values().stream().filter(t -> t.type() == type).count(), e.getValue().asLong(), type.name());
            typed += e.getValue().asInt();
        }
        assertEquals(f.tensors().size(), typed);
    }

    // ---- how values are shown

    private Path madeUp() throws Exception {
        Path file = tmp.resolve("made-up.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("tokenizer.chat_template", "{% for m in messages %}\n".repeat(40))
                .putArray("hundred", GgufValueType.INT32, IntStream.range(0, 100).toArray())
                .putArray("ten", GgufValueType.UINT8, new byte[]{0, 1, 2, 3, 4, 5, 6, 7, 8, (byte) 255})
                .putArray("nested", GgufValueType.ARRAY, new GgufArray[]{
                        new GgufArray(GgufValueType.INT32, new int[]{1, 2}),
                        new GgufArray(GgufValueType.STRING, new String[]{"x", "ü\t"}),
                        new GgufArray(GgufValueType.BOOL, new boolean[0])})
                .putU64("big", -1L)
                .put("neg", GgufValueType.INT8, (byte) -3)
                .putF32("eps", 1e-5f)
                .put("nan", GgufValueType.FLOAT64, Double.NaN)
                .addTensor("token_embd.weight", GgmlType.Q8_0, new long[]{64, 1000}, new byte[1000 * 2 * 34])
                .addTensor("norm", new float[64], 64)
                .write(file);
        return file;
    }

    @Test
    void abbreviatesLongValuesUnlessFull() throws Exception {
        Path file = madeUp();
        String out = run("inspect", file.toString()).out();
        String template = "{% for m in messages %}\\n".repeat(2) + "{% for m in mess"; // the first 64 characters
        assertLine(out, "^  tokenizer\\.chat_template +str +" + Pattern.quote("\"" + template + "...\" (960 chars)") + "$", "cut string");
        assertLine(out, "^  hundred +i32\\[100\\] +" + Pattern.quote("[0, 1, 2, 3, 4, 5, 6, 7, ... 92 more]") + "$", "cut array");
        assertLine(out, "^  ten +u8\\[10\\] +" + Pattern.quote("[0, 1, 2, 3, 4, 5, 6, 7, 8, 255]") + "$", "short array, unsigned");
        assertLine(out, "^  nested +arr\\[3\\] +" + Pattern.quote("[[1, 2], [\"x\", \"ü\\t\"], []]") + "$", "nested arrays");
        assertLine(out, "^  big +u64 +18446744073709551615$", "u64 max");
        assertLine(out, "^  neg +i8 +-3$", "i8");
        assertLine(out, "^  eps +f32 +1\\.0E-5$", "f32");
        assertLine(out, "^  parameters +64064 \\(64\\.1 K\\)$", "params");
        assertLine(out, "^  by type +F32 1, Q8_0 1$", "per type");

        String full = run("inspect", "--full", file.toString()).out();
        assertLine(full, "^  tokenizer\\.chat_template +str +" + Pattern.quote("\"" + "{% for m in messages %}\\n".repeat(40) + "\"") + "$", "whole string");
        assertLine(full, "^  hundred +i32\\[100\\] +" + Pattern.quote(IntStream.range(0, 100).boxed().toList().toString()) + "$", "whole array");

        JsonNode j = JSON.readTree(run("inspect", "--json", file.toString()).out());
        JsonNode hundred = j.path("metadata").path("hundred");
        assertEquals(100, hundred.path("count").asInt());
        assertEquals(8, hundred.path("value").size());
        assertTrue(hundred.path("truncated").asBoolean());
        assertEquals(960, j.path("metadata").path("tokenizer.chat_template").path("length").asInt());
        assertTrue(j.path("metadata").path("tokenizer.chat_template").path("truncated").asBoolean());
        assertEquals("18446744073709551615", j.path("metadata").path("big").path("value").asText());
        assertEquals("NaN", j.path("metadata").path("nan").path("value").asText());
        assertEquals("ü\t", j.path("metadata").path("nested").path("value").get(1).get(1).asText());
        assertEquals(64064, j.path("totals").path("parameters").asLong());
        assertEquals("64.1 K", j.path("totals").path("parameters_human").asText());
    }

    // ---- bad files: one line, exit code 1

    private static void assertOneLineError(Cli.Run r, String... fragments) {
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line:\n" + err);
        assertTrue(err.startsWith("hearth: "), err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace or exception name: " + err);
        for (String f : fragments) assertTrue(err.contains(f), "'" + err + "' should contain '" + f + "'");
    }

    @Test
    void damagedFilesGiveOneLineAndExitCode1() throws Exception {
        byte[] good = Files.readAllBytes(madeUp());
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(good, 200));
        assertOneLineError(run("inspect", cut.toString()), cut.toString(), "truncated");

        Path magic = tmp.resolve("magic.gguf");
        byte[] b = good.clone();
        b[0] = 'X';
        Files.write(magic, b);
        assertOneLineError(run("inspect", magic.toString()), magic.toString(), "not a GGUF file");

        Path shortData = tmp.resolve("short-data.gguf");
        Files.write(shortData, Arrays.copyOf(good, good.length - 200));
        assertOneLineError(run("inspect", "--json", shortData.toString()), shortData.toString(), "'norm'", "past the end");

        assertOneLineError(run("inspect", tmp.resolve("missing.gguf").toString()), "no such file", "missing.gguf");
        assertOneLineError(run("inspect", tmp.toString()), "is a directory");
    }

    @Test
    void damagedFixtureGivesOneLine() throws Exception {
        Path fixture = CliFixtures.dir().resolve("tokenizer/spm.gguf");
        byte[] b = Files.readAllBytes(fixture);
        Path cut = tmp.resolve("spm-cut.gguf");
        Files.write(cut, Arrays.copyOf(b, b.length / 2));
        assertOneLineError(run("inspect", cut.toString()), cut.toString());
    }

    @Test
    void helpAndVersion() {
        Cli.Run help = run("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("inspect") && help.out().contains("serve"), help.out());
        Cli.Run version = run("--version");
        assertEquals(0, version.exit());
        assertTrue(version.out().matches("(?s)hearth \\d+\\.\\d+\\.\\d+.*"), version.out());
    }
}
