package dev.hearth.cli;

import dev.hearth.engine.gguf.GgufFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Properties;

/** The {@code hearth} command. Errors end as one line on stderr and exit code 1, never a stack trace. */
@Command(name = "hearth", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Hearth: a pure-Java LLM inference server for CPUs (GGUF models).",
        subcommands = {InspectCommand.class, ServeCommand.class, TokenizeCommand.class, DetokenizeCommand.class,
                TemplateCommand.class, GenerateCommand.class, ChatCommand.class, BenchCommand.class, PullCommand.class,
                ListCommand.class, RmCommand.class, SynthCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Standard input for the commands that read it (tokenize, detokenize, template, chat); tests give their own. */
    InputStream in = System.in;

    public static void main(String[] args) {
        // Straight to the file descriptor, not System.out: a PrintStream swallows write errors, and generate must see
        // a closed pipe (| head) to stop generating.
        PrintWriter out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(commandLine(out, err).execute(args));
    }

    /** The configured command line; tests run it in-process with their own writers. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(System.in, out, err);
    }

    /** The configured command line reading standard input from {@code in}. */
    public static CommandLine commandLine(InputStream in, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        main.in = in;
        return new CommandLine(main)
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("hearth: " + oneLine(e));
                    if (System.getenv("HEARTH_DEBUG") != null) e.printStackTrace(cmd.getErr());
                    cmd.getErr().flush();
                    return 1;
                });
    }

    /** What went wrong, in one line: the reader's messages already name the file and the problem. */
    static String oneLine(Throwable e) {
        String line = switch (e) {
            case GgufFormatException g -> g.getMessage();
            case CommandError c -> c.getMessage();
            case NoSuchFileException n -> "no such file: " + n.getFile();
            case AccessDeniedException a -> "permission denied: " + a.getFile();
            case IOException io when io.getMessage() != null -> io.getMessage();
            default -> e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
        };
        return line.replace('\n', ' ');
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) p.load(in);
            }
            return new String[]{
                    "hearth " + p.getProperty("version", "(unknown version)"),
                    "JVM: " + System.getProperty("java.vm.name") + " " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
