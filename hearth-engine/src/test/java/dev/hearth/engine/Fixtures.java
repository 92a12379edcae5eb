package dev.hearth.engine;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** Locates llama.cpp's golden data in ../shared/fixtures (the build passes it as -Dhearth.fixtures). */
public final class Fixtures {
    private Fixtures() {}

    /** The fixtures directory; fails loudly in CI when it is absent, skips the test elsewhere. */
    public static Path dir() {
        String p = System.getProperty("hearth.fixtures", "../shared/fixtures");
        Path dir = Path.of(p).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            String msg = "golden fixtures not found at " + dir + " (expected ../shared/fixtures beside the clone)";
            if (System.getenv("CI") != null) fail(msg);
            Assumptions.abort(msg);
        }
        return dir;
    }

    public static Path file(String relative) {
        Path f = dir().resolve(relative);
        if (!Files.isRegularFile(f)) fail("fixture file missing: " + f);
        return f;
    }
}
