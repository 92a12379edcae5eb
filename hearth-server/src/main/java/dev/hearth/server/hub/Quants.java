package dev.hearth.server.hub;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picking the GGUF file of a quantization from a repository listing. GGUF repositories name files
 * {@code Model-Name-Q4_K_M.gguf} (or {@code model.q4_k_m.gguf}): the quantization is the last {@code -}/{@code .}
 * separated word. Large models come split as {@code ...-00001-of-00003.gguf}; all parts are taken.
 */
public final class Quants {
    private Quants() {}

    private static final Pattern SPLIT = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf", Pattern.CASE_INSENSITIVE);

    /** The file name without the split suffix and {@code .gguf}: the model's name in the cache. */
    public static String stem(String fileName) {
        String name = fileName.substring(fileName.lastIndexOf('/') + 1);
        Matcher m = SPLIT.matcher(name);
        if (m.matches()) return m.group(1);
        return name.toLowerCase(Locale.ROOT).endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    /** The quantization a file name ends with, upper case ({@code Q4_K_M}, {@code F16}, {@code I2_S}). */
    public static String of(String fileName) {
        String stem = stem(fileName);
        int cut = Math.max(stem.lastIndexOf('-'), stem.lastIndexOf('.'));
        return stem.substring(cut + 1).toUpperCase(Locale.ROOT);
    }

    /** Whether a file is a part of a split model other than the first (loaded through the first). */
    public static boolean isLaterPart(String fileName) {
        Matcher m = SPLIT.matcher(fileName.substring(fileName.lastIndexOf('/') + 1));
        return m.matches() && Integer.parseInt(m.group(2)) > 1;
    }

    /**
     * The files to download for {@code ref}: its exact file, or every part of the GGUF whose quantization matches
     * (case-insensitive). Without a quantization: {@link ModelRef#DEFAULT_QUANT} if there is one, else the only GGUF.
     */
    public static List<HubClient.RemoteFile> choose(ModelRef ref, List<HubClient.RemoteFile> files) throws HubException {
        List<HubClient.RemoteFile> gguf = files.stream()
                .filter(f -> f.path().toLowerCase(Locale.ROOT).endsWith(".gguf"))
                .filter(f -> !f.name().toLowerCase(Locale.ROOT).startsWith("mmproj"))
                .toList();
        if (ref.file() != null) {
            HubClient.RemoteFile exact = files.stream().filter(f -> f.path().equals(ref.file())).findFirst()
                    .orElseThrow(() -> new HubException(HubException.Reason.NOT_FOUND, "no file " + ref.file() + " in " + ref.repo()));
            return List.of(exact);
        }
        if (gguf.isEmpty()) throw new HubException(HubException.Reason.NOT_FOUND, ref.repo() + " has no GGUF files (Hearth runs GGUF models; look for a -GGUF repository)");
        TreeSet<String> available = new TreeSet<>();
        for (HubClient.RemoteFile f : gguf) available.add(of(f.name()));
        String quant = ref.quant();
        if (quant == null) {
            if (available.contains(ModelRef.DEFAULT_QUANT)) quant = ModelRef.DEFAULT_QUANT;
            else if (available.size() == 1) quant = available.first();
            else throw new HubException(HubException.Reason.NOT_FOUND, ref.repo() + " has several quantizations; name one, e.g. " + ref.repo() + ":"
                    + available.first() + " (available: " + String.join(", ", available) + ")");
        }
        String wanted = quant.toUpperCase(Locale.ROOT);
        List<HubClient.RemoteFile> picked = new ArrayList<>(gguf.stream().filter(f -> of(f.name()).equals(wanted)).toList());
        if (picked.isEmpty()) {
            throw new HubException(HubException.Reason.NOT_FOUND, "no " + quant + " file in " + ref.repo() + "; available quantizations: " + String.join(", ", available));
        }
        // one model only: the split parts of the first stem found (a repository may hold the same quant twice)
        String first = stem(picked.getFirst().path());
        picked.removeIf(f -> !stem(f.path()).equals(first));
        picked.sort(Comparator.comparing(HubClient.RemoteFile::path));
        return picked;
    }
}
