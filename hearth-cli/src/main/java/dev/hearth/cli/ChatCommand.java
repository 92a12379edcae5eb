package dev.hearth.cli;

import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.FinishReason;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.sampling.SamplingParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Chat with a model in the terminal: type a message after the '> ' prompt, the reply streams back.",
                "The whole conversation is rendered through the model's chat template each turn; the engine keeps "
                        + "the KV cache of the common prefix, so earlier turns are not evaluated again (-v shows "
                        + "the cached token counts). /reset starts a new conversation, /exit (or end of input) quits."})
final class ChatCommand implements Callable<Integer> {
    static final String PROMPT = "> ";

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message at the start of the conversation.")
    String system;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "-1",
            description = "Tokens per reply at most; -1 = until the model ends its turn or the context is full (default).")
    int maxTokens;

    @Option(names = {"-v", "--verbose"}, description = "After each reply, a line of counts and speeds on standard error.")
    boolean verbose;

    @Mixin
    SamplingOptions sampling;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < -1) throw new ParameterException(spec.commandLine(), "-n must be >= -1, got " + maxTokens);
        SamplingParams params = sampling.params();
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        BufferedReader in = new BufferedReader(new InputStreamReader(main.in, StandardCharsets.UTF_8));
        try (LocalGenerator generator = modelOptions.open(spec.commandLine().getErr())) {
            List<Map<String, Object>> messages = fresh();
            out.print(PROMPT);
            out.flush();
            for (String line; (line = in.readLine()) != null; ) {
                String text = line.strip();
                if (text.equals("/exit") || text.equals("/quit")) break;
                if (text.equals("/reset")) {
                    messages = fresh();
                    out.println("(new conversation)");
                } else if (text.startsWith("/")) {
                    err.println("hearth: unknown command " + text.split("\\s+")[0] + " (/reset starts over, /exit quits)");
                    err.flush();
                } else if (!text.isEmpty()) {
                    turn(generator, messages, text, params, out, err);
                }
                out.print(PROMPT);
                out.flush();
            }
            out.println();
            out.flush();
        }
        return 0;
    }

    private List<Map<String, Object>> fresh() {
        List<Map<String, Object>> messages = new ArrayList<>();
        if (system != null) messages.add(Map.of("role", "system", "content", system));
        return messages;
    }

    /** One exchange: the reply is kept in the conversation; a request the engine refuses leaves it unchanged. */
    private void turn(LocalGenerator generator, List<Map<String, Object>> messages, String text, SamplingParams params,
                      PrintWriter out, PrintWriter err) throws Exception {
        messages.add(Map.of("role", "user", "content", text));
        Streamer streamer = new Streamer(out);
        try {
            streamer.attach(generator.submit(new GenerationRequest(new Prompt.Chat(messages, null, true, null), params, maxTokens), streamer));
        } catch (IllegalArgumentException e) { // e.g. the conversation no longer fits the context
            messages.removeLast();
            err.println("hearth: " + e.getMessage().replace('\n', ' ') + " (/reset starts a new conversation)");
            err.flush();
            return;
        }
        Completion done = streamer.await();
        out.println();
        out.flush();
        messages.add(Map.of("role", "assistant", "content", streamer.text()));
        if (verbose) err.println(Streamer.stats(done));
        if (done.finishReason() == FinishReason.CONTEXT_FULL) {
            err.println("hearth: the context is full (" + generator.info().contextLength() + " tokens): /reset starts a new conversation");
        }
        err.flush();
    }
}
