package dev.hearth.cli;

import dev.hearth.server.hub.Catalog;
import dev.hearth.server.hub.ModelRef;
import dev.hearth.server.hub.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "pull", mixinStandardHelpOptions = true, defaultValueProvider = EnvDefaults.class,
        description = {"Download a GGUF model from the Hugging Face hub into the cache (see `hearth list`).",
                "REF is OWNER/REPO[:QUANT] (e.g. bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M; without QUANT: Q4_K_M, "
                        + "or the repository's only GGUF), OWNER/REPO:FILE.gguf, a https://huggingface.co/OWNER/REPO/resolve/main/FILE.gguf "
                        + "URL, or a name from `hearth list --catalog`. An interrupted download resumes where it stopped; "
                        + "the file is checked against the size and SHA-256 the hub lists. Gated models need HF_TOKEN."})
final class PullCommand implements Callable<Integer> {
    @Parameters(paramLabel = "REF", description = "The model to download.")
    String ref;

    @Mixin
    HubOptions hub;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Catalog.Model listed = Catalog.byName(ref);
        ModelRef r;
        try {
            r = ModelRef.parse(listed != null ? listed.reference() : ref);
        } catch (IllegalArgumentException e) {
            throw new CommandError(e.getMessage());
        }
        Path p = ModelLocator.pull(r, hub, spec.commandLine().getErr());
        ModelStore.Entry e = hub.store().find(p.getFileName().toString()).orElse(null);
        long size = e != null ? e.size() : Files.size(p);
        spec.commandLine().getOut().println("pulled " + (e != null ? e.name() : p.getFileName()) + " (" + Human.bytes(size) + ") to " + p);
        return 0;
    }
}
