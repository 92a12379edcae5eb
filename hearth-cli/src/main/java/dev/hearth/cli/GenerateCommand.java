package dev.hearth.cli;

import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.sampling.SamplingParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Continue a prompt: the generated text streams to standard output as it is produced, then one line "
                        + "of counts and speeds goes to standard error.",
                "The prompt is tokenized as llama.cpp's server does (BOS added where the vocabulary asks, "
                        + "special-token texts parsed); with --chat it is a user message rendered through the "
                        + "model's chat template."})
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT", description = "The prompt.")
    String prompt;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "-1",
            description = "Tokens to generate at most; -1 = until the model ends or the context is full (default).")
    int maxTokens;

    @Option(names = "--chat", description = "Treat the prompt as a user message in the model's chat template.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "With --chat: a system message before it.")
    String system;

    @Mixin
    SamplingOptions sampling;

    @Override
    public Integer call() throws Exception {
        if (system != null && !chat) throw new ParameterException(spec.commandLine(), "--system needs --chat");
        if (maxTokens < -1) throw new ParameterException(spec.commandLine(), "-n must be >= -1, got " + maxTokens);
        SamplingParams params = sampling.params();
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        try (LocalGenerator generator = modelOptions.open(spec.commandLine().getErr())) {
            Streamer streamer = new Streamer(out);
            try {
                streamer.attach(generator.submit(new GenerationRequest(prompt(), params, maxTokens), streamer));
            } catch (IllegalArgumentException e) { // the engine's words, meant for the user (e.g. a prompt too long)
                throw new CommandError(e.getMessage(), e);
            }
            Completion done = streamer.await();
            out.println();
            out.flush();
            err.println(Streamer.stats(done));
            err.flush();
        }
        return 0;
    }

    private Prompt prompt() {
        if (!chat) return new Prompt.Text(prompt);
        List<Map<String, Object>> messages = new ArrayList<>();
        if (system != null) messages.add(Map.of("role", "system", "content", system));
        messages.add(Map.of("role", "user", "content", prompt));
        return new Prompt.Chat(messages, null, true, null);
    }
}
