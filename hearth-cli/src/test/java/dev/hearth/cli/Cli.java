package dev.hearth.cli;

import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** Runs the hearth command in-process and captures what it prints. */
final class Cli {
    private Cli() {}

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        return run(InputStream.nullInputStream(), args);
    }

    /** Runs with {@code stdin} as standard input. */
    static Run runWithInput(String stdin, String... args) {
        return run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), args);
    }

    static Run run(InputStream stdin, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine(stdin, new PrintWriter(out, true), new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
