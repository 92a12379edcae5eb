package dev.hearth.cli;

import dev.hearth.server.hub.Catalog;
import dev.hearth.server.hub.HubException;
import dev.hearth.server.hub.ModelRef;
import dev.hearth.server.hub.ModelStore;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * What {@code -m} names: a GGUF file, a model in the pull cache ({@code Llama-3.2-1B-Instruct-Q4_K_M} or
 * {@code owner/repo:QUANT}), a catalog name, or a hub reference that is pulled first.
 */
final class ModelLocator {
    private ModelLocator() {}

    static Path locate(String spec, HubOptions hub, PrintWriter err) throws IOException {
        Path asFile = Path.of(spec);
        if (Files.exists(asFile)) return asFile;
        ModelStore store = hub.store();
        Optional<ModelStore.Entry> cached = store.find(spec);
        if (cached.isPresent()) return cached.get().path();
        Catalog.Model listed = Catalog.byName(spec);
        if (listed != null) {
            cached = store.find(listed.reference());
            if (cached.isPresent()) return cached.get().path();
            return pull(ModelRef.parse(listed.reference()), hub, err);
        }
        if (!ModelRef.looksLikeReference(spec)) {
            // a path that is not there: the reader names it ("no such file: ...")
            if (spec.toLowerCase(Locale.ROOT).endsWith(".gguf") || spec.contains("/") || spec.contains("\\")) return asFile;
            throw new CommandError("no model file or cached model named " + spec + " (./hearth list shows the cache; "
                    + "./hearth pull OWNER/REPO:QUANT downloads one)");
        }
        ModelRef ref;
        try {
            ref = ModelRef.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new CommandError(e.getMessage());
        }
        return pull(ref, hub, err);
    }

    /** Downloads into the cache with a progress bar on {@code err}; errors become one line. */
    static Path pull(ModelRef ref, HubOptions hub, PrintWriter err) throws IOException {
        ProgressBar bar = new ProgressBar(err, ProgressBar.stderrIsTerminal());
        err.println("pulling " + ref + " from " + (ref.endpoint() != null ? ref.endpoint() : hub.hub().endpoint()));
        try {
            return hub.store().pull(ref, hub.hub(), bar);
        } catch (HubException e) {
            throw new CommandError(e.getMessage(), e);
        } finally {
            bar.end();
        }
    }
}
