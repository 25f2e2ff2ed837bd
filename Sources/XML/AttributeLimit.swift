#if canImport(Glibc)
import Glibc
#endif

/// Bounds the number of attributes of one start tag before libxml2 sees the document.
///
/// Why: libxml2 (2.9) checks each attribute of a start tag against every earlier one of the
/// same tag, so a tag with n attributes costs n²/2 comparisons. A page of 200,000 attributes
/// on one element (2 MB) took 30 s to extract and a feed 7 s; at the 5 MiB a fetch allows, a
/// few minutes of one core per document. No real page or feed has more than a few dozen
/// attributes on an element.
///
/// A tag with more than `maxPerTag` attributes keeps its first ones; the rest become spaces
/// (so nothing else moves, and `/>` stays). A tag is read as libxml2 reads one: a quote opens
/// a value only after `=`, and `>` inside a quoted value does not end the tag. What looks like
/// a tag but meets another `<` first, or never ends, is left alone.
public enum AttributeLimit {
    public static let maxPerTag = 1_000

    /// `bytes` with every tag bounded, or nil when no tag needed it (the common case: the
    /// input is not copied).
    public static func apply(_ bytes: [UInt8], maxPerTag: Int = maxPerTag) -> [UInt8]? {
        let cuts = bytes.withUnsafeBufferPointer { self.cuts(in: $0, maxPerTag: maxPerTag, stoppingAtFirst: false) }
        guard !cuts.isEmpty else { return nil }
        var bounded = bytes
        for cut in cuts {
            for index in cut { bounded[index] = UInt8(ascii: " ") }
        }
        return bounded
    }

    /// Whether `apply` would cut anything in `bytes` (read in place, nothing copied).
    public static func wouldCut(_ bytes: UnsafeBufferPointer<UInt8>, maxPerTag: Int = maxPerTag) -> Bool {
        !cuts(in: bytes, maxPerTag: maxPerTag, stoppingAtFirst: true).isEmpty
    }

    /// The attributes beyond the limit, tag by tag.
    private static func cuts(in buffer: UnsafeBufferPointer<UInt8>, maxPerTag: Int, stoppingAtFirst: Bool) -> [Range<Int>] {
        var cuts: [Range<Int>] = []
        guard let base = buffer.baseAddress else { return cuts }
        var i = 0
        while i < buffer.count, let found = memchr(base + i, Int32(UInt8(ascii: "<")), buffer.count - i) {
            let start = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            i = start + 1
            guard i < buffer.count, isLetter(buffer[i]) else { continue }
            let (end, cut) = scanTag(buffer, from: i, maxPerTag: maxPerTag)
            if let cut {
                cuts.append(cut)
                if stoppingAtFirst { break }
            }
            i = end
        }
        return cuts
    }

    /// Reads the tag whose name starts at `start`: where reading stopped, and the range of
    /// attributes beyond the limit when there are too many (up to the `>`, or the `/` of `/>`).
    private static func scanTag(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, maxPerTag: Int) -> (end: Int, cut: Range<Int>?) {
        var i = start
        var tokens = 0          // the name and each attribute (a name, `=` or a value apart)
        var inToken = true      // the name
        var afterEquals = false
        var quote: UInt8 = 0
        var cutFrom: Int?
        var lastSlash: Int?
        while i < bytes.count {
            let byte = bytes[i]
            if quote != 0 {
                // A quoted value ends at its quote, whatever lies between.
                guard let close = memchr(bytes.baseAddress! + i, Int32(quote), bytes.count - i) else { return (bytes.count, nil) }
                i = bytes.baseAddress!.distance(to: close.assumingMemoryBound(to: UInt8.self)) + 1
                quote = 0
                continue
            }
            switch byte {
            case UInt8(ascii: ">"):
                guard let from = cutFrom else { return (i + 1, nil) }
                let to = lastSlash == i - 1 ? i - 1 : i
                return (i + 1, from < to ? from..<to : nil)
            case UInt8(ascii: "<"):
                return (i, nil)  // not a tag as far as this reading goes: left alone
            case 0x20, 0x09, 0x0A, 0x0D, 0x0C:
                inToken = false
            default:
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'"), afterEquals {
                    quote = byte
                }
                if !inToken {
                    inToken = true
                    tokens += 1
                    if tokens > maxPerTag && cutFrom == nil { cutFrom = i }
                }
                afterEquals = byte == UInt8(ascii: "=")
                lastSlash = byte == UInt8(ascii: "/") ? i : nil
                i += 1
                // The rest of a name or an unquoted value in one go: bytes that change
                // nothing above but `afterEquals` and `lastSlash`, which they clear.
                if quote == 0, i < bytes.count, isPlain(bytes[i]) {
                    afterEquals = false
                    lastSlash = nil
                    repeat { i += 1 } while i < bytes.count && isPlain(bytes[i])
                }
                continue
            }
            i += 1
        }
        return (i, nil)  // never ends: left alone
    }

    /// Bytes inside a tag that are no delimiter: not white space, a quote, `=`, `/`, `<` or `>`.
    @inline(__always)
    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0C, UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "="), UInt8(ascii: "/"),
             UInt8(ascii: "<"), UInt8(ascii: ">"):
            return false
        default:
            return true
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }
}
