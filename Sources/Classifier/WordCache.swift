import Locking

/// What `Analyzer` gives a word — its ids, stem and stop-word flag — remembered for the words
/// seen last, in a table indexed by a cheap hash of the word: one entry a slot, a newer word
/// taking the slot of an older one. Most of a text's words were met in texts before; found
/// here, they need neither the lexicon's hashing (SipHash over every word: a fifth of reading
/// an item) nor its lock.
///
/// Nothing here goes stale: the lexicon never changes a word's ids or stem once it has them.
/// Hostile text whose words collide only sends them on to the lexicon, as before; a slot
/// holds one word, so no run of collisions makes a chain.
struct WordCache {
    struct Entry {
        /// The folded word; empty in a slot never filled (no word is empty).
        var surface = ""
        var surfaceID: Int32 = -1
        var termID: Int32 = -1
        var term = ""
        var isStopWord = false
    }

    static let slotCount = 4096
    private var slots: [Entry]

    init() { slots = Array(repeating: Entry(), count: Self.slotCount) }

    fileprivate init(slots: [Entry]) { self.slots = slots }

    /// The entry of `surface`, if it is the word in its slot.
    func entry(_ surface: String) -> Entry? {
        let entry = slots[Self.slot(surface)]
        return entry.surface == surface ? entry : nil
    }

    mutating func remember(_ entry: Entry) {
        slots[Self.slot(entry.surface)] = entry
    }

    /// FNV-1a over the word's bytes. Not for a table that chains (the lexicon's SipHash is):
    /// here a collision costs one lookup in the lexicon.
    private static func slot(_ surface: String) -> Int {
        // Through the bytes in place (a small string's on the stack): iterating the UTF-8
        // view cost ten times as much.
        let hash = surface.utf8.withContiguousStorageIfAvailable(fnv) ?? fnv(Array(surface.utf8))
        return Int(hash) & (slotCount - 1)
    }

    private static func fnv(_ bytes: some Collection<UInt8>) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return hash
    }
}

/// Word caches lent to one caller at a time, as `StemmerPool` lends stemmers: as many as
/// threads ever analysed text at once.
final class WordCachePool: Sendable {
    private let spare = Locked<[WordCache]>([])

    func withCache<Result>(_ body: (inout WordCache) -> Result) -> Result {
        var cache = spare.withLock { $0.popLast() } ?? WordCache()
        defer {
            // Moved back, not copied: were this frame to keep a reference to the table, the
            // next borrower's first change would copy all of it.
            spare.withLock { pool in
                var moved = WordCache(slots: [])
                swap(&moved, &cache)
                pool.append(moved)
            }
        }
        return body(&cache)
    }
}
