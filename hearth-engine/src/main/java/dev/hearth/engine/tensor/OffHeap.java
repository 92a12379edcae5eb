package dev.hearth.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Off-heap memory for large arrays streamed by the kernels (repacked weights; also fit for a KV cache). On Linux large blocks are anonymous mappings advised with
 * {@code madvise(MADV_HUGEPAGE)} before first touch, so that with transparent huge pages in "madvise" mode they
 * are backed by 2 MiB pages (fewer TLB misses while streaming weights). Elsewhere, or when the native calls are not
 * available, it falls back to {@link Arena#allocate}.
 */
public final class OffHeap {
    static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x3, MAP_PRIVATE_ANONYMOUS = 0x22, MADV_HUGEPAGE = 14, MADV_DONTNEED = 4;
    private static final long PAGE = 4096;
    private static final MethodHandle MMAP, MUNMAP, MADVISE;

    static {
        MethodHandle mmap = null, munmap = null, madvise = null;
        if (System.getProperty("os.name", "").startsWith("Linux") && !Boolean.getBoolean("hearth.noHugePages")) {
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            } catch (Throwable t) { // no native access: plain allocation
                mmap = munmap = madvise = null;
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    private OffHeap() {}

    /** Zeroed memory of {@code bytes}, 64-byte aligned (2 MiB aligned when huge pages are used), freed with the arena. */
    public static MemorySegment allocate(long bytes, Arena arena) {
        if (MMAP != null && bytes >= HUGE_PAGE) {
            MemorySegment s = mapHuge(bytes, arena);
            if (s != null) return s;
        }
        return arena.allocate(Math.max(bytes, 1), 64);
    }

    /**
     * Drops this process's pages of a read-only file mapping (the whole pages inside {@code s}): for weights that
     * were copied elsewhere, so that resident memory counts them once. A later read faults them back in from the
     * page cache. Never call it on anonymous or written memory (its contents would be lost).
     */
    public static void releaseFilePages(MemorySegment s) {
        if (MADVISE == null || !s.isNative()) return;
        long start = (s.address() + PAGE - 1) & -PAGE, end = (s.address() + s.byteSize()) & -PAGE;
        if (end <= start) return;
        try {
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, MADV_DONTNEED);
        } catch (Throwable ignored) {
            // the pages simply stay resident
        }
    }

    private static MemorySegment mapHuge(long bytes, Arena arena) {
        try {
            long rounded = (bytes + HUGE_PAGE - 1) & -HUGE_PAGE;
            long length = rounded + HUGE_PAGE; // room to align the start to a huge page
            MemorySegment raw = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (raw.address() == -1L) return null;
            long start = (raw.address() + HUGE_PAGE - 1) & -HUGE_PAGE;
            MemorySegment aligned = MemorySegment.ofAddress(start).reinterpret(bytes);
            // A failure (THP disabled) is harmless: the mapping then uses small pages.
            int ignored = (int) MADVISE.invokeExact(aligned, rounded, MADV_HUGEPAGE);
            long base = raw.address();
            return aligned.reinterpret(bytes, arena, s -> unmap(base, length));
        } catch (Throwable t) {
            return null;
        }
    }

    private static void unmap(long address, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable ignored) {
            // nothing sensible to do while an arena closes
        }
    }
}
