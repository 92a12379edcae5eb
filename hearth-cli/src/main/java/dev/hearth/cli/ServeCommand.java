package dev.hearth.cli;

import dev.hearth.server.HearthServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Start the HTTP server. So far it answers GET /health and GET /v1/models; "
                + "the inference APIs come later.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf", description = "The model to serve (validated at start).")
    Path model;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port to listen on, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = {"-v", "--verbose"}, description = "Log the server's start-up and requests at info level.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    private final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        // slf4j-simple reads its level when the first logger is made, which is below: set it before.
        if (verbose) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
            System.setProperty("org.slf4j.simpleLogger.log.io.javalin.Javalin", "info");
        }
        HearthServer server = new HearthServer(model).start(host, port);
        try {
            server.load();
        } catch (Exception e) {
            server.close();
            throw e;
        }
        Thread hook = new Thread(() -> {
            stop();
            server.close();
        }, "hearth-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        PrintWriter out = spec.commandLine().getOut();
        String what = server.modelId() == null ? "no model" : "model " + server.modelId();
        out.println("hearth: serving " + what + " on http://" + hostForUrl() + ":" + server.port()
                + " (GET /health, GET /v1/models); Ctrl-C stops");
        out.flush();
        try {
            stopped.await();
        } finally {
            server.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped us
            }
        }
        return 0;
    }

    private String hostForUrl() {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    /** Ends {@link #call()}: from the shutdown hook (Ctrl-C), or from a test. */
    void stop() {
        stopped.countDown();
    }
}
