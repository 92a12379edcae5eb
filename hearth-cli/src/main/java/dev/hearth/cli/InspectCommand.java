package dev.hearth.cli;

import dev.hearth.engine.gguf.GgufFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a GGUF file: version, alignment, every metadata key with type and value, the tensor "
                + "table (name, type, shape in ggml order, bytes, file offset) and totals.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE.gguf", description = "The GGUF file to read.")
    Path file;

    @Option(names = "--json", description = "Machine-readable JSON instead of text.")
    boolean json;

    @Option(names = "--full", description = "Do not abbreviate long strings and arrays.")
    boolean full;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (GgufFile f = GgufFile.open(file)) {
            GgufReport report = new GgufReport(f, full);
            spec.commandLine().getOut().print(json ? report.json() : report.text());
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
