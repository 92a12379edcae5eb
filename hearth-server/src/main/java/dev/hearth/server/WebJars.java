package dev.hearth.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The WebJars on the classpath (served under /webjars): the pages that use them need their versions in URLs. */
public final class WebJars {
    private WebJars() {}

    /** The version of a WebJar on the classpath, from its Maven metadata (its files live under that version). */
    public static String version(String group, String artifact) {
        String resource = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = WebJars.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("the " + artifact + " WebJar is missing from the classpath");
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
