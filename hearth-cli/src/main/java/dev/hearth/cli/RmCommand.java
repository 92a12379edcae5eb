package dev.hearth.cli;

import dev.hearth.server.hub.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "rm", mixinStandardHelpOptions = true, defaultValueProvider = EnvDefaults.class,
        description = "Delete models from the cache, by name (see `hearth list`) or by OWNER/REPO:QUANT; split models lose every part.")
final class RmCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", arity = "1..*", description = "The models to delete.")
    List<String> names;

    @Mixin
    HubOptions hub;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ModelStore store = hub.store();
        for (String n : names) {
            Optional<ModelStore.Entry> gone = store.remove(n);
            if (gone.isEmpty()) throw new CommandError("no model " + n + " in " + store.dir() + " (./hearth list shows what is there)");
            spec.commandLine().getOut().println("deleted " + gone.get().name() + " (" + Human.bytes(gone.get().size()) + ")");
        }
        return 0;
    }
}
