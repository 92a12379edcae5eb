package dev.hearth.bench;

import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.tokenizer.Tokenizer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Tokenizer speed on mixed English text (prose, tables, numbers and code: the fixtures README repeated to 1 MiB),
 * one thread. {@code encode} and {@code decode} handle the whole MiB per operation and count its UTF-8 bytes in
 * the secondary result "bytes", which therefore reads as bytes/s. {@code vocab} is a fixture vocabulary by default;
 * pass any GGUF for a realistic vocabulary size: {@code -p vocab=/path/to/model.gguf}.
 *
 * <ul>
 *   <li>{@code encode}: steady state, BPE word cache warm (the usual case for a server).</li>
 *   <li>{@code encodeCold}: the same MiB on a freshly built tokenizer, every BPE word merged from scratch (ms).</li>
 *   <li>{@code encodePrompt32k}: the text's first 32768 tokens as one prompt, warm (ms per prompt).</li>
 *   <li>{@code decode}: detokenize the MiB's tokens.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TokenizerBench {
    @Param({"tokenizer/spm.gguf", "tokenizer/bpe-llama-bpe.gguf", "tokenizer/bpe-qwen2.gguf"})
    public String vocab;

    GgufFile file;
    Tokenizer tokenizer;
    String text;
    long textBytes;
    String prompt32k;
    int[] ids;

    /** UTF-8 bytes handled; JMH reports the sum per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counter {
        public long bytes;
    }

    /** A tokenizer built before each invocation, outside the measured time. */
    @State(Scope.Thread)
    public static class Fresh {
        Tokenizer tokenizer;

        @Setup(Level.Invocation)
        public void build(TokenizerBench b) {
            tokenizer = Tokenizer.fromGguf(b.file);
        }
    }

    static Path fixtures() {
        return Path.of(System.getProperty("hearth.fixtures", "../shared/fixtures"));
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path p = Path.of(vocab).isAbsolute() ? Path.of(vocab) : fixtures().resolve(vocab);
        file = GgufFile.open(p);
        tokenizer = Tokenizer.fromGguf(file);
        String readme = Files.readString(fixtures().resolve("README.md"));
        StringBuilder sb = new StringBuilder(1 << 20);
        while (sb.length() < 1 << 20) sb.append(readme);
        sb.setLength(1 << 20);
        text = sb.toString();
        textBytes = text.getBytes(StandardCharsets.UTF_8).length;
        ids = tokenizer.encode(text, false, false);
        prompt32k = tokenizer.decode(Arrays.copyOf(ids, Math.min(ids.length, 32768)));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        file.close();
    }

    @Benchmark
    public int[] encode(Counter c) {
        c.bytes += textBytes;
        return tokenizer.encode(text, false, false);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3)
    @Measurement(iterations = 5)
    public int[] encodeCold(Fresh fresh) {
        return fresh.tokenizer.encode(text, false, false);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int[] encodePrompt32k() {
        return tokenizer.encode(prompt32k, true, true);
    }

    @Benchmark
    public byte[] decode(Counter c) {
        c.bytes += textBytes;
        return tokenizer.decodeBytes(ids, false, false);
    }
}
