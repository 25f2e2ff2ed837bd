import COpenCC
import Locking
import Synchronization

/// OpenCC could not be set up; the only failure its C API reports apart from a conversion.
public enum HanFoldingError: Error, CustomStringConvertible {
    case configUnavailable(config: String, reason: String)

    public var description: String {
        switch self {
        case .configUnavailable(let config, let reason):
            return "OpenCC could not load its '\(config)' configuration (\(reason)); "
                + "install Debian's libopencc-dev and libopencc-data (scripts/install-deps does)"
        }
    }
}

/// Owns one OpenCC converter (`opencc_t`) from traditional to simplified Chinese.
///
/// Why OpenCC rather than ICU's `Hant-Hans` transform (which Foundation on Linux does run), as
/// measured by `drillwatch-bench fold Tests/ClassifierTests/Fixtures/traditional-domain.tsv`:
/// both fold the traditional domain words (OpenCC 63/65, ICU 64/65), but ICU also rewrites
/// simplified text (6 of 50 words: 显著 → 显着, 著称 → 着称, 乾隆 → 干隆, 慰藉 → 慰借), and the
/// rules, the corpus and most Chinese news are simplified; OpenCC left all 50 alone. ICU was
/// 1.2–1.3× faster (4.3 against 3.4 M characters/s), which matters little: only runs holding
/// a traditional character are converted (`TraditionalCharacters`). OpenCC's misses: it keeps
/// 著 where the mainland writes 着 (著陸, 著手).
///
/// A converter is not documented as thread-safe: an instance must not be shared between threads.
public final class SimplifiedConverter {
    private let handle: UnsafeMutableRawPointer

    /// Opens `config`, a name OpenCC looks up in its data folder (/usr/share/opencc on Debian)
    /// or a path. `t2s.json` converts characters and, for the words its phrase table lists,
    /// whole words (乾燥 → 干燥 but 乾隆 stays).
    public init(config: String = "t2s.json") throws(HanFoldingError) {
        let opened = opencc_open(config)
        // opencc.h: "On error the return value will be (opencc_t) -1." opencc_error() is the
        // one call it says is not thread-safe; a failed open is rare enough to accept that.
        guard let opened, UInt(bitPattern: opened) != UInt.max else {
            throw .configUnavailable(config: config, reason: String(cString: opencc_error()))
        }
        handle = opened
    }

    deinit { opencc_close(handle) }

    /// `text` in simplified characters; `text` itself if OpenCC fails to convert it.
    public func convert(_ text: String) -> String {
        text.withCString { input in
            // opencc.h: the result "MUST" be released with opencc_convert_utf8_free.
            guard let output = opencc_convert_utf8(handle, input, text.utf8.count) else { return text }
            defer { opencc_convert_utf8_free(output) }
            return String(cString: output)
        }
    }
}

/// The Han characters in U+3400–U+9FFF that `t2s` changes on their own: the cheap test that
/// keeps simplified text (all of the shipped rules and most Chinese news) away from OpenCC.
///
/// Learnt a character at a time, the first time a text brings it, by converting it alone, so
/// it follows the installed OpenCC's tables. (Converting the whole range at once took 24 ms of
/// every process's start, a tenth of an all-304 rescan, for the few hundred characters most
/// processes meet.) A run of only unflagged characters is not converted; the cost is that a
/// phrase-only change in such a run (看著 → 看着) is missed, which is the same text a
/// simplified writer would also not have folded.
///
/// `@unchecked Sendable`, proved here: the two bitmaps are allocated in `init`, freed in
/// `deinit` (when no thread holds the table) and otherwise only read and changed through
/// atomics; a character's
/// `traditional` bit is set before its `known` bit is published with release ordering, and
/// read after `known` is loaded with acquire ordering, so a reader that sees it known sees
/// its answer. Two threads meeting a new character at once both convert it (under `lock`)
/// and both set the same bits. `converter` is only read, changed and used holding `lock`.
/// (A pthread `Lock`, not `Synchronization.Mutex`, whose contended path ThreadSanitizer does
/// not see on Linux: see `Locked`.)
final class TraditionalCharacters: @unchecked Sendable {
    static let first: UInt32 = 0x3400
    static let last: UInt32 = 0x9FFF
    private static let words = Int(last - first) / 64 + 1

    /// The table of the default converter; it finds nothing when OpenCC cannot be opened, which
    /// `Analyzer.init` has already refused.
    static let shared = TraditionalCharacters()

    private let known: UnsafeMutablePointer<Atomic<UInt64>>
    private let traditional: UnsafeMutablePointer<Atomic<UInt64>>

    /// OpenCC, opened at the first character not known yet.
    private enum Converter {
        case notOpened
        case opened(SimplifiedConverter)
        case unavailable
    }
    private let lock = Lock()
    private var converter = Converter.notOpened

    init() {
        known = .allocate(capacity: Self.words)
        traditional = .allocate(capacity: Self.words)
        for word in 0..<Self.words {
            (known + word).initialize(to: Atomic(0))
            (traditional + word).initialize(to: Atomic(0))
        }
    }

    deinit {
        known.deinitialize(count: Self.words)
        known.deallocate()
        traditional.deinitialize(count: Self.words)
        traditional.deallocate()
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        guard value >= Self.first && value <= Self.last else { return false }
        let offset = Int(value - Self.first)
        let (word, mask) = (offset / 64, UInt64(1) << UInt64(offset % 64))
        if known[word].load(ordering: .acquiring) & mask != 0 {
            return traditional[word].load(ordering: .relaxed) & mask != 0
        }
        let changed = lock.withLock { () -> Bool in
            if case .notOpened = converter {
                converter = (try? SimplifiedConverter()).map(Converter.opened) ?? .unavailable
            }
            guard case .opened(let opened) = converter else { return false }
            // Alone, as a line of its own would be: no phrase table entry starts or ends it.
            let output = opened.convert(String(Character(scalar)))
            return output.unicodeScalars.first?.value != value || output.unicodeScalars.count != 1
        }
        if changed { traditional[word].bitwiseOr(mask, ordering: .relaxed) }
        known[word].bitwiseOr(mask, ordering: .releasing)
        return changed
    }
}
