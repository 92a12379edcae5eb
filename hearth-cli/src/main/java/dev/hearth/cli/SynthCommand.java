package dev.hearth.cli;

import dev.hearth.cli.synth.QuantMix;
import dev.hearth.cli.synth.SynthModel;
import dev.hearth.cli.synth.SynthShape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** A developer tool, hidden from the command list: model files to measure speed on where no real model can be had. */
@Command(name = "synth", hidden = true, mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Developer tool: write a GGUF file with a real model's shape, metadata, tokenizer layout and "
                        + "llama.cpp quantization mix, but random weights and a made-up vocabulary, for speed "
                        + "measurements (llama.cpp loads it too). The output is gibberish."})
final class SynthCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--shape", required = true, paramLabel = "NAME",
            description = "llama-3.2-1b, qwen2.5-0.5b or smollm2-135m.")
    String shape;

    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "f16, bf16, q8_0, q4_0 or q4_k_m.")
    String type;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.gguf", description = "The file to write.")
    Path output;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Seed of the weights and vocabulary.")
    long seed;

    @Option(names = "--layers", hidden = true, paramLabel = "N", description = "Fewer layers (tests).")
    Integer layers;

    @Option(names = "--embd", hidden = true, paramLabel = "N", description = "A narrower model (tests).")
    Integer embedding;

    @Option(names = "--vocab", hidden = true, paramLabel = "N", description = "A smaller vocabulary (tests).")
    Integer vocabulary;

    @Override
    public Integer call() throws Exception {
        SynthShape s;
        QuantMix mix;
        try {
            s = SynthShape.of(shape);
            mix = QuantMix.of(type);
            if (layers != null || embedding != null || vocabulary != null) {
                if (layers != null && layers < 1) throw new IllegalArgumentException("--layers must be >= 1");
                s = s.scaled(layers, embedding, vocabulary);
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        long t0 = System.nanoTime();
        long size = new SynthModel(s, mix, seed).write(output);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "wrote %s: %s %s, %d layers, width %d, vocabulary %d, %s in %.1f s%n", output,
                s.name(), mix.fileName(), s.layers(), s.embedding(), s.vocabulary(), Human.bytes(size),
                (System.nanoTime() - t0) / 1e9);
        out.flush();
        return 0;
    }
}
