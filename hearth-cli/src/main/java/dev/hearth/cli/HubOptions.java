package dev.hearth.cli;

import dev.hearth.server.hub.HubClient;
import dev.hearth.server.hub.ModelStore;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Where pulled models are cached and the hub they come from; shared by every command that takes a model. */
final class HubOptions {
    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where pulled models are kept (default: ~/.cache/hearth/models, or $XDG_CACHE_HOME/hearth/models). Env: HEARTH_MODELS.")
    Path cacheDir;

    @Option(names = "--hf-endpoint", paramLabel = "URL",
            description = "The Hugging Face hub to pull from (default: https://huggingface.co); a gated model needs "
                    + "HF_TOKEN set to an access token. Env: HF_ENDPOINT.")
    URI endpoint;

    ModelStore store() {
        return new ModelStore(cacheDir != null ? cacheDir : ModelStore.defaultDir(System.getenv()));
    }

    HubClient hub() {
        Map<String, String> env = new HashMap<>(System.getenv());
        if (endpoint != null) env.put("HF_ENDPOINT", endpoint.toString());
        return HubClient.fromEnvironment(env);
    }
}
