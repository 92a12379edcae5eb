package dev.hearth.cli;

import dev.hearth.server.hub.Catalog;
import dev.hearth.server.hub.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, defaultValueProvider = EnvDefaults.class,
        description = {"List the models in the cache: name (what -m and the APIs' model field take), size, the "
                + "reference it was pulled with, and its file.",
                "--catalog lists small chat models that run well on CPUs instead, ready for `hearth pull NAME`."})
final class ListCommand implements Callable<Integer> {
    @Option(names = "--catalog", description = "List the curated catalog instead of the cache.")
    boolean catalog;

    @Mixin
    HubOptions hub;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (catalog) {
            String row = "%-24s %-10s %-46s %s%n";
            out.printf(Locale.ROOT, row, "NAME", "SIZE", "REFERENCE", "DESCRIPTION");
            for (Catalog.Model m : Catalog.MODELS) out.printf(Locale.ROOT, row, m.name(), "~" + Human.bytes(m.sizeBytes()), m.reference(), m.description());
            return 0;
        }
        ModelStore store = hub.store();
        List<ModelStore.Entry> all = store.list();
        if (all.isEmpty()) {
            out.println("no models in " + store.dir() + "; get one with ./hearth pull OWNER/REPO:QUANT (./hearth list --catalog suggests some)");
            return 0;
        }
        String row = "%-40s %-10s %-56s %s%n";
        out.printf(Locale.ROOT, row, "NAME", "SIZE", "PULLED AS", "FILE");
        for (ModelStore.Entry e : all) {
            out.printf(Locale.ROOT, row, e.name(), Human.bytes(e.size()), e.repo() == null ? "-" : e.repo() + ":" + e.quant(), e.path());
        }
        return 0;
    }
}
