import CMalloc
import Foundation

/// glibc's allocator, set for a process that reads feed after feed.
///
/// Why: by default glibc gives memory back to the kernel as soon as 128 KiB lie free at the
/// top of its heap, and serves each block of 128 KiB or more from a mapping of its own,
/// unmapped when freed. Reading a feed takes several such blocks (the file's read buffer, the
/// repair's output, libxml2's input buffer) and frees them at its end, so every feed paid for
/// fresh pages from the kernel: 2,200 page faults on a pass over 200 feeds, a tenth of the
/// pass spent in the kernel zeroing pages. With these settings the heap keeps up to 4 MiB
/// free at its top and serves blocks under 1 MiB itself. Peak memory is unchanged (what is
/// kept is what the last feed used and the next one takes again), and a block of 1 MiB or
/// more still goes back to the kernel when it is freed.
///
/// And one arena per core, not glibc's eight: each thread that allocates is given an arena of
/// its own while fewer than the maximum exist, and every arena keeps what was freed in it.
/// A scan has more threads than cores — the concurrency pool, the workers that read items, the
/// transfer loop, and libcurl's resolver threads, one per host lookup — and when lookups hang
/// (a resolver that drops queries) dozens of resolver threads are alive at once, each taking a
/// fresh arena. The benchmark's scan with every article host unresolvable peaked at 330 MiB
/// with glibc's default, 210 with four arenas and 172 with two (128 with the scan's backlog
/// as it is now). The price: threads beyond the count share arenas and wait for each other's
/// allocations; an unstalled scan of the same feeds took about 5% more CPU (five interleaved
/// pairs, 2–14%) and peaked at 87 MiB instead of 91.
///
/// Process-wide, so the executables call it first thing; the library modules never do.
public enum Allocator {
    public static func configureForFeeds() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 4 << 20)
        _ = mallopt(M_ARENA_MAX, Int32(clamping: max(2, ProcessInfo.processInfo.activeProcessorCount)))
        #endif
    }
}
