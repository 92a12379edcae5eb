package dev.hearth.cli;

import java.util.Locale;

/** Numbers for people: 1.24 B parameters, 4.87 MiB. Three significant digits. */
final class Human {
    private Human() {}

    /** A count with a decimal suffix (K, M, B, T). */
    static String count(long n) {
        return scaled(n, 1000, new String[]{"", " K", " M", " B", " T"});
    }

    /** A byte size with a binary suffix (KiB, MiB, GiB, TiB). */
    static String bytes(long n) {
        return scaled(n, 1024, new String[]{" B", " KiB", " MiB", " GiB", " TiB"});
    }

    private static String scaled(long n, int base, String[] units) {
        if (n < base) return n + units[0];
        double v = n;
        int u = 0;
        while (v >= base && u < units.length - 1) {
            v /= base;
            u++;
        }
        String fmt = v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f";
        return String.format(Locale.ROOT, fmt, v) + units[u];
    }
}
