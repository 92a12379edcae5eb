package dev.hearth.cli;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/** The golden fixtures (../shared/fixtures, passed as -Dhearth.fixtures); same rule as the engine's Fixtures. */
final class CliFixtures {
    private CliFixtures() {}

    /** Fails loudly in CI when the fixtures are absent, skips the test elsewhere. */
    static Path dir() {
        Path dir = Path.of(System.getProperty("hearth.fixtures", "../shared/fixtures")).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            String msg = "golden fixtures not found at " + dir + " (expected ../shared/fixtures beside the clone)";
            if (System.getenv("CI") != null) fail(msg);
            Assumptions.abort(msg);
        }
        return dir;
    }

    static List<Path> ggufFiles() throws IOException {
        try (Stream<Path> s = Files.walk(dir())) {
            List<Path> files = s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
            if (files.isEmpty()) fail("no .gguf files under " + dir());
            return files;
        }
    }
}
