package dev.hearth.server.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The local model cache ({@code HEARTH_MODELS}, default {@code ~/.cache/hearth/models}): pulled files live at
 * {@code DIR/OWNER/REPO/FILE.gguf}, so a model is known by its file name ({@code Llama-3.2-1B-Instruct-Q4_K_M}) or
 * by the reference it was pulled with ({@code bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M}).
 */
public final class ModelStore {
    /** One cached model; {@code path} is its (first) GGUF file, {@code size} all its parts. */
    public record Entry(String name, String repo, String quant, Path path, long size) {}

    /** One download at a time per file, in this process (two /api/pull of the same model). */
    private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();

    private final Path dir;

    public ModelStore(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** {@code HEARTH_MODELS}, else {@code $XDG_CACHE_HOME/hearth/models}, else {@code ~/.cache/hearth/models}. */
    public static Path defaultDir(Map<String, String> env) {
        String d = env.get("HEARTH_MODELS");
        if (d != null && !d.isBlank()) return Paths.get(d.strip());
        String xdg = env.get("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Paths.get(xdg.strip()) : Paths.get(System.getProperty("user.home"), ".cache");
        return cache.resolve("hearth").resolve("models");
    }

    public Path dir() {
        return dir;
    }

    /** The GGUF models under {@code root} (three levels deep at most), a split model by its first part. */
    public static List<Path> scan(Path root) {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.walk(root, 3)) {
            return s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf"))
                    .filter(Files::isRegularFile)
                    .filter(p -> !Quants.isLaterPart(p.getFileName().toString()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        for (Path p : scan(dir)) out.add(entry(p));
        return out;
    }

    private Entry entry(Path p) {
        Path rel = dir.relativize(p);
        String repo = rel.getNameCount() >= 3 ? rel.getName(0) + "/" + rel.getName(1) : null;
        long size = 0;
        for (Path f : parts(p)) {
            try {
                size += Files.size(f);
            } catch (IOException gone) {
                // listed while being removed
            }
        }
        String file = p.getFileName().toString();
        return new Entry(Quants.stem(file), repo, Quants.of(file), p, size);
    }

    /** A split model's parts (found beside the first), or the one file. */
    static List<Path> parts(Path first) {
        String name = first.getFileName().toString();
        if (!name.matches("(?i).*-00001-of-\\d{5}\\.gguf")) return List.of(first);
        String prefix = name.substring(0, name.length() - "00001-of-00000.gguf".length());
        try (Stream<Path> s = Files.list(first.getParent())) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")).sorted().toList();
        } catch (IOException e) {
            return List.of(first);
        }
    }

    /**
     * A cached model by its name ({@code Llama-3.2-1B-Instruct-Q4_K_M}, with or without {@code .gguf} or
     * {@code :latest}, any case) or by its reference ({@code owner/repo:QUANT}, or {@code owner/repo} when only one
     * of its quantizations is cached or one of them is {@link ModelRef#DEFAULT_QUANT}).
     */
    public Optional<Entry> find(String name) {
        List<Entry> all = list();
        String n = name.strip();
        if (n.toLowerCase(Locale.ROOT).endsWith(":latest")) n = n.substring(0, n.length() - 7);
        if (n.toLowerCase(Locale.ROOT).endsWith(".gguf")) n = n.substring(0, n.length() - 5);
        for (Entry e : all) if (e.name().equalsIgnoreCase(n)) return Optional.of(e);
        if (!ModelRef.looksLikeReference(name.strip())) return Optional.empty();
        ModelRef ref;
        try {
            ref = ModelRef.parse(name);
        } catch (IllegalArgumentException notAReference) {
            return Optional.empty();
        }
        List<Entry> ofRepo = all.stream().filter(e -> ref.repo().equalsIgnoreCase(e.repo())).toList();
        if (ref.file() != null) {
            String stem = Quants.stem(ref.file());
            return ofRepo.stream().filter(e -> e.name().equalsIgnoreCase(stem)).findFirst();
        }
        if (ref.quant() != null) return ofRepo.stream().filter(e -> e.quant().equalsIgnoreCase(ref.quant())).findFirst();
        if (ofRepo.size() == 1) return Optional.of(ofRepo.getFirst());
        return ofRepo.stream().filter(e -> e.quant().equals(ModelRef.DEFAULT_QUANT)).findFirst();
    }

    /** Deletes a cached model (every part, and a download left half-way); empty: nothing by that name. */
    public Optional<Entry> remove(String name) throws IOException {
        Optional<Entry> e = find(name);
        if (e.isEmpty()) return e;
        Path first = e.get().path();
        for (Path p : parts(first)) {
            Files.deleteIfExists(p);
            Files.deleteIfExists(p.resolveSibling(p.getFileName() + ".part"));
        }
        for (Path d = first.getParent(); d != null && d.startsWith(dir) && !d.equals(dir); d = d.getParent()) {
            try {
                Files.deleteIfExists(d);
            } catch (DirectoryNotEmptyException stillUsed) {
                break;
            }
        }
        return e;
    }

    /**
     * Downloads {@code ref} into the cache (files already complete are kept) and returns the model's path: the
     * file, or the first part of a split model.
     */
    public Path pull(ModelRef ref, HubClient hub, PullListener listener) throws IOException {
        HubClient at = hub.at(ref.endpoint());
        listener.status("pulling manifest");
        List<HubClient.RemoteFile> files = Quants.choose(ref, at.files(ref.repo(), ref.revision()));
        Path repoDir = dir.resolve(ref.repo());
        Path first = null;
        for (HubClient.RemoteFile f : files) {
            Path target = repoDir.resolve(f.name()).normalize();
            if (!target.startsWith(repoDir)) throw new HubException(HubException.Reason.BAD_DOWNLOAD, "refusing the file name " + f.path());
            if (first == null) first = target;
            synchronized (LOCKS.computeIfAbsent(target, k -> new Object())) {
                if (Files.isRegularFile(target) && (f.size() < 0 || Files.size(target) == f.size())) {
                    listener.progress(f.path(), f.digest(), Files.size(target), Files.size(target));
                    continue;
                }
                at.download(ref.repo(), ref.revision(), f, target, listener);
            }
        }
        return first;
    }
}
