package dev.hearth.cli;

import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.GenerationListener;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.generate.TokenEvent;
import dev.hearth.engine.sampling.SamplingParams;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;

import static dev.hearth.cli.Cli.runWithInput;
import static dev.hearth.cli.GenerateCommandTest.model;
import static dev.hearth.cli.GenerateCommandTest.stats;
import static org.junit.jupiter.api.Assertions.*;

class ChatCommandTest {
    static final int N = 6;

    /** The engine's greedy reply to a conversation, straight from LocalGenerator. */
    private static String reply(LocalGenerator g, List<Map<String, Object>> messages) throws Exception {
        StringBuilder text = new StringBuilder();
        CompletableFuture<Completion> end = new CompletableFuture<>();
        g.submit(new GenerationRequest(new Prompt.Chat(messages, null, true, null), SamplingParams.greedy(), N),
                new GenerationListener() {
                    public void onToken(TokenEvent e) { text.append(e.text()); }
                    public void onDone(Completion c) { end.complete(c); }
                    public void onError(Throwable e) { end.completeExceptionally(e); }
                });
        end.get();
        return text.toString();
    }

    private static Map<String, Object> msg(String role, String content) {
        return Map.of("role", role, "content", content);
    }

    /** Two turns (the second sees the first), /reset, the first turn again, /exit; the rest of the input is ignored. */
    @Test
    void conversationKeepsHistoryAndResets() throws Exception {
        Path file = model("qwen2-q4_k_m");
        String sys = "You are terse.";
        String r1, r2;
        try (LocalGenerator g = LocalGenerator.open(file, LocalGenerator.Options.defaults())) {
            r1 = reply(g, List.of(msg("system", sys), msg("user", "Hi there")));
            r2 = reply(g, List.of(msg("system", sys), msg("user", "Hi there"), msg("assistant", r1), msg("user", "How are you?")));
        }
        Cli.Run r = runWithInput("Hi there\n  How are you?  \n\n/reset\nHi there\n/exit\nnot read\n",
                "chat", "-m", file.toString(), "--system", sys, "-n", String.valueOf(N), "--temp", "0", "-v");
        assertEquals(0, r.exit(), r.err());
        assertEquals("> " + r1 + "\n> " + r2 + "\n> > (new conversation)\n> " + r1 + "\n> \n", r.out());

        List<String> lines = r.err().lines().toList();
        assertEquals(3, lines.size(), r.err());
        Matcher first = stats(lines.get(0)), second = stats(lines.get(1)), third = stats(lines.get(2));
        int firstPrompt = Integer.parseInt(first.group(1));
        assertEquals("0", first.group(2));
        // the second turn's prompt starts with the first turn: its KV entries are reused
        assertTrue(Integer.parseInt(second.group(1)) > firstPrompt + N / 2, lines.get(1));
        assertTrue(Integer.parseInt(second.group(2)) >= firstPrompt - 1, "cached tokens: " + lines.get(1));
        // after /reset the conversation is the first one again
        assertEquals(first.group(1), third.group(1));
        for (Matcher m : List.of(first, second, third)) assertEquals(String.valueOf(N), m.group(4));
    }

    @Test
    void endOfInputExitsAndUnknownCommandsAreReported() {
        Cli.Run r = runWithInput("/help\nHello", "chat", "-m", model("llama-spm-q8_0").toString(), "-n", "3", "--temp", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("> > "), r.out());
        assertTrue(r.out().endsWith("\n> \n"), r.out());
        assertEquals("hearth: unknown command /help (/reset starts over, /exit quits)\n", r.err());
    }

    /** A reply that fills the context is said so; the next turn no longer fits and is refused, the chat goes on. */
    @Test
    void fullContextIsReportedAndTheChatContinues() {
        Cli.Run r = runWithInput("Hello\nAgain\n/reset\nHello\n", "chat", "-m", model("llama-spm-q8_0").toString(),
                "-c", "40", "--temp", "0"); // 40 is rounded up to 64
        assertEquals(0, r.exit(), r.err());
        List<String> err = r.err().lines().toList();
        assertEquals(3, err.size(), r.err());
        assertEquals("hearth: the context is full (64 tokens): /reset starts a new conversation", err.get(0));
        assertTrue(err.get(1).startsWith("hearth: the prompt has ") && err.get(1).contains("the context holds 64"), err.get(1));
        assertTrue(err.get(1).endsWith("(/reset starts a new conversation)"), err.get(1));
        assertEquals(err.get(0), err.get(2)); // after /reset the first turn runs again; end of input ends the chat
        assertTrue(r.out().contains("> > (new conversation)\n> "), r.out());
    }

    @Test
    void errors() {
        Cli.Run missing = runWithInput("Hello\n", "chat", "-m", "/nonexistent.gguf");
        TokenizeCommandTest.assertOneLineError(missing, "no such file");
        Cli.Run badTemp = runWithInput("Hello\n", "chat", "-m", model("llama-spm-q8_0").toString(), "--min-p", "2");
        TokenizeCommandTest.assertOneLineError(badTemp, "--min-p");
        assertEquals(2, runWithInput("", "chat").exit());
    }
}
