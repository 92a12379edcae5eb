package dev.hearth.cli;

import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Print the token ids of a text (llama_tokenize).",
                "The ids are those llama.cpp's llama_tokenize gives, printed on one line separated by spaces "
                        + "(the line ends with a line break), or with --pieces one token per line.",
                "The text is read from --file, --prompt or standard input, byte for byte: nothing is stripped "
                        + "or unescaped, so a line break at the end (from echo or <<<) is tokenized too; "
                        + "--chomp drops one. Works on vocabulary-only GGUF files."})
final class TokenizeCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf",
            description = "The model (or vocabulary-only) GGUF file whose tokenizer to use.")
    Path model;

    @ArgGroup(exclusive = true)
    Input input;

    static final class Input {
        @Option(names = {"-f", "--file"}, paramLabel = "FILE",
                description = "Read the text from this file (default: standard input; - is standard input too).")
        Path file;

        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Tokenize this text.")
        String prompt;
    }

    @Option(names = "--no-add-special",
            description = "Do not add BOS/EOS (by default they are added where the vocabulary asks for them).")
    boolean noAddSpecial;

    @Option(names = "--no-parse-special",
            description = "Tokenize the text of control tokens such as <|im_start|> as plain text (user-defined "
                    + "tokens such as <tool_call> are still matched, as in llama.cpp).")
    boolean noParseSpecial;

    @Option(names = "--chomp", description = "Drop one line break (\\n or \\r\\n) from the end of the text.")
    boolean chomp;

    @Option(names = "--pieces",
            description = "One token per line: its id, then its piece (llama_token_to_piece) in quotes. Byte-fallback tokens and bytes "
                    + "that are not whole UTF-8 characters show as <0xNN>; \\n \\r \\t \\\\ are escaped and other "
                    + "invisible characters show as \\u{XXXX}.")
    boolean pieces;

    @Override
    public Integer call() throws Exception {
        byte[] text = input != null && input.prompt != null ? input.prompt.getBytes(StandardCharsets.UTF_8)
                : TokenText.read(input == null ? null : input.file, main.in, spec);
        if (chomp) text = chomp(text);
        StringBuilder sb = new StringBuilder();
        try (GgufFile f = GgufFile.open(model)) {
            Tokenizer t = TokenText.tokenizer(f);
            int[] ids = t.encode(text, !noAddSpecial, !noParseSpecial);
            if (pieces) {
                for (int id : ids) sb.append(String.format(Locale.ROOT, "%6d -> '%s'\n", id, TokenText.piece(t, id)));
            } else {
                sb.append(TokenText.ids(ids)).append('\n');
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(sb);
        out.flush();
        return 0;
    }

    static byte[] chomp(byte[] b) {
        int n = b.length;
        if (n > 0 && b[n - 1] == '\n') n -= n > 1 && b[n - 2] == '\r' ? 2 : 1;
        return n == b.length ? b : Arrays.copyOf(b, n);
    }
}
