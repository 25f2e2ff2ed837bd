import CMalloc

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
/// Process-wide, so the executables call it first thing; the library modules never do.
public enum Allocator {
    public static func configureForFeeds() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 4 << 20)
        #endif
    }
}
