package dev.hearth.cli;

import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "detokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Print the text of token ids (llama_detokenize), exactly.",
                "The text is what llama.cpp's llama_detokenize makes of the ids, printed with no line break "
                        + "added; bytes that do not form UTF-8 (an incomplete byte sequence) print as U+FFFD.",
                "The ids come from the command line, --file or standard input, separated by spaces, commas or "
                        + "line breaks; brackets are ignored, so [1, 2, 3] works too. Works on vocabulary-only "
                        + "GGUF files."})
final class DetokenizeCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf",
            description = "The model (or vocabulary-only) GGUF file whose tokenizer to use.")
    Path model;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "Read the ids from this file (default: the IDS arguments, else standard input; "
                    + "- is standard input too).")
    Path file;

    @Parameters(paramLabel = "IDS", arity = "0..*", description = "Token ids (instead of --file or standard input).")
    List<String> args = List.of();

    @Option(names = "--remove-special",
            description = "Drop a leading BOS and a trailing EOS where the vocabulary adds them (llama.cpp's "
                    + "remove_special).")
    boolean removeSpecial;

    @Option(names = "--unparse-special",
            description = "Show control tokens such as <s> or <|im_end|> as their text (llama.cpp's "
                    + "unparse_special); by default they produce nothing.")
    boolean unparseSpecial;

    @Override
    public Integer call() throws Exception {
        if (!args.isEmpty() && file != null) {
            throw new ParameterException(spec.commandLine(), "give the ids either as arguments or with --file, not both");
        }
        String text = args.isEmpty() ? new String(TokenText.read(file, main.in, spec), StandardCharsets.UTF_8)
                : String.join(" ", args);
        String decoded;
        try (GgufFile f = GgufFile.open(model)) {
            Tokenizer t = TokenText.tokenizer(f);
            decoded = t.decode(parse(text, t.vocabSize()), removeSpecial, unparseSpecial);
        }
        spec.commandLine().getOut().print(decoded);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The ids in the text; anything but digits, separators and brackets is an error naming the culprit. */
    static int[] parse(String text, int vocabSize) {
        String[] words = text.strip().isEmpty() ? new String[0] : text.strip().split("[\\s,\\[\\]]+");
        int[] ids = new int[words.length];
        int n = 0;
        for (String w : words) {
            if (w.isEmpty()) continue; // a leading bracket
            long id;
            try {
                if (!w.matches("-?[0-9]{1,12}")) throw new NumberFormatException();
                id = Long.parseLong(w);
            } catch (NumberFormatException e) {
                throw new CommandError("not a token id: '" + (w.length() > 40 ? w.substring(0, 40) + "..." : w) + "'");
            }
            if (id < 0 || id >= vocabSize) {
                throw new CommandError("token id " + id + " is out of range: the vocabulary has " + vocabSize
                        + " tokens (0 to " + (vocabSize - 1) + ")");
            }
            ids[n++] = (int) id;
        }
        return Arrays.copyOf(ids, n);
    }
}
