import Foundation
import Locking

/// One token of analysed text.
public struct Token: Sendable, Equatable {
    /// The stemmed, folded form rules and the index match on ("drills" → "drill").
    public var term: String
    /// The folded form before stemming, for prefix wildcards ("exercis*").
    public var surface: String
    /// The word as written, for explanations.
    public var original: String
    public var position: Int
    public var isStopWord: Bool
    /// `term` and `surface` as small integers from the analyzer's lexicon: the hot paths
    /// (rule matching, similarity) compare and hash these instead of strings.
    public var termID: Int32 = -1
    public var surfaceID: Int32 = -1
}

/// Turns text into tokens the same way for the corpus, the items and the rules:
///
/// 1. Unicode NFKC, then full case folding (Cyrillic included) with `ё` read as `е`, as
///    Russian print often does;
/// 2. words are runs of letters and digits (an apostrophe inside a word stays: "China's");
///    hyphens and slashes separate, so `Northern/Interaction-2023` is three consecutive tokens
///    and a phrase query `"northern interaction 2023"` finds it;
/// 3. Chinese, Japanese and Korean runs become overlapping character bigrams (中俄联合 →
///    中俄 俄联 联合), the usual way to index text without word boundaries; a run holding a
///    traditional character is first folded to simplified by OpenCC (中俄聯合 → 中俄联合), so
///    Taiwanese and Hong Kong news matches the simplified rules and corpus; Chinese
///    habits are read for what they mean (see `HanCompounds`);
/// 4. Latin words are stemmed with Snowball's English stemmer, Cyrillic words with its Russian
///    one (учения and учений → учен); stop words are kept in position, but flagged.
///
/// An analyzer caches stems and owns C stemmers and an OpenCC converter, none of them safe
/// to use from two threads at once. A text is read in two steps: its words are found, folded
/// and split into bigrams with no lock held (the bytes, the tokens and the counts are the
/// caller's), then every token gets its ids and stem from the lexicon (`resolve`): the words
/// already known — nearly all of them — under `lock` for reading, which threads share, the
/// new ones under it for writing. Near-duplicate detection is mostly analysis; with texts
/// analysed under one mutex from end to end it ran one text at a time on any number of cores.
///
/// `@unchecked Sendable` because of the above: the stored mutable state is only touched
/// holding `lock` — read (lexicon, id tables, names) under `withReading` by `resolve`;
/// changed, and the converter used, only under `withWriting` by `resolve`'s
/// new words, `simplify`'s conversion, `stem` and `termID`. None of them calls another while
/// it holds the lock. The stemmers are `StemmerPool`'s, which lends each pair to one caller;
/// the word caches likewise `WordCachePool`'s (a cache holds only what the lexicon gave).
public final class Analyzer: @unchecked Sendable {
    /// Guards the lexicon, the id tables and the converter (the stemmers are lent, not locked).
    private let lock = ReadWriteLock()
    private let stemmers: StemmerPool
    /// The words met last, lent to one thread at a time: most words are found there, with no
    /// lock taken.
    private let wordCaches = WordCachePool()
    private let simplified: SimplifiedConverter
    private let traditional = TraditionalCharacters.shared
    /// Every folded word seen, with its stem: (surface id, term id).
    /// (These four are checked for exclusivity statically only: `lock` keeps threads apart,
    /// and no access is re-entrant; the run-time check sees only one thread's overlaps.)
    @exclusivity(unchecked) private var lexicon: [String: (surface: Int32, term: Int32)] = [:]
    /// Stop-word flags by surface id.
    @exclusivity(unchecked) private var stopSurfaces: [Bool] = []
    @exclusivity(unchecked) private var termIDs: [String: Int32] = [:]
    @exclusivity(unchecked) private var termNames: [String] = []

    public init() {
        stemmers = StemmerPool()
        do {
            simplified = try SimplifiedConverter()
        } catch {
            // libopencc1.1 depends on libopencc-data, so this is a broken installation.
            preconditionFailure(error.description)
        }
    }

    /// Tokens of `text`, numbered from `startPosition`.
    ///
    /// Works on UTF-8 bytes, decoding only non-ASCII sequences: most news text is ASCII
    /// between its quotation marks, and this is the classifier's hottest loop.
    public func analyze(_ text: String, startPosition: Int = 0) -> [Token] {
        var counts = ScriptCounts()
        return analyze(text, startPosition: startPosition, counts: &counts)
    }

    /// Tokens of `text`, adding its letters by script (after NFKC) and the Han characters
    /// folding changed to `counts`, for language detection without a second pass.
    ///
    /// `isDocument` is for the text judged, never a query: a run ending in 俄 also gives 俄 as
    /// a word (see below). A query's 赴俄 must stay one term, or it would become a phrase no
    /// text with a character after 俄 matches.
    func analyze(_ text: String, startPosition: Int = 0, counts: inout ScriptCounts, isDocument: Bool = false) -> [Token] {
        var tokens: [Token] = []
        analyze(text, startPosition: startPosition, counts: &counts, isDocument: isDocument, appendingTo: &tokens)
        return tokens
    }

    /// The same, appended to `tokens` (a title's, say): no array of the text's own to copy.
    func analyze(_ text: String, startPosition: Int, counts: inout ScriptCounts, isDocument: Bool, appendingTo tokens: inout [Token]) {
        let start = tokens.count
        var stream = TokenStream(position: startPosition)
        swap(&stream.tokens, &tokens)
        wordCaches.withCache { cache in
            tokenize(text, into: &stream, counts: &counts, isDocument: isDocument, cache: &cache)
            swap(&stream.tokens, &tokens)
            SeaNames.mark(&tokens, from: start)
            resolve(&tokens, from: start, cache: &cache)
        }
    }

    /// Each token's surface and term ids, stop-word flag and (for a word) stem, from the
    /// lexicon: known words under the lock for reading; new ones are stemmed holding no lock
    /// (stemmers are lent, see `StemmerPool`) and added under it for writing, which other
    /// threads wait for.
    ///
    /// Most ASCII words were resolved already, from their bytes, as they were read
    /// (`flushWord`): those are passed over.
    private func resolve(_ tokens: inout [Token], from start: Int, cache: inout WordCache) {
        var unknown: [Int] = []
        for index in start..<tokens.count where tokens[index].surfaceID < 0 {
            if let entry = cache.entry(tokens[index].surface) {
                Self.assign(entry, to: &tokens[index])
            } else {
                // Room for the rest at the first: grown from one, the list was reallocated
                // three times a text.
                if unknown.isEmpty { unknown.reserveCapacity(tokens.count - index) }
                unknown.append(index)
            }
        }
        guard !unknown.isEmpty else { return }
        var new: [Int] = []
        lock.withReading {
            // The tables read in place (they are exempt from the run-time exclusivity check,
            // above); copies of them had cost a retain and a release each on storage that
            // every reading thread shares.
            for index in unknown {
                guard let ids = lexicon[tokens[index].surface] else {
                    new.append(index)
                    continue
                }
                let entry = Self.entry(tokens[index].surface, ids, termNames: termNames, stopSurfaces: stopSurfaces)
                Self.assign(entry, to: &tokens[index])
                cache.remember(entry)
            }
        }
        guard !new.isEmpty else { return }
        let stems = stemmers.withPair { pair in new.map { Self.stem(tokens[$0].surface, with: pair) } }
        lock.withWriting {
            for (index, stem) in zip(new, stems) {
                let ids = lookup(tokens[index].surface, stem: stem)
                let entry = Self.entry(tokens[index].surface, ids, termNames: termNames, stopSurfaces: stopSurfaces)
                Self.assign(entry, to: &tokens[index])
                cache.remember(entry)
            }
        }
    }

    /// What the lexicon's tables (read holding the lock) say of `surface`.
    private static func entry(_ surface: String, _ ids: (surface: Int32, term: Int32), termNames: [String],
                              stopSurfaces: [Bool]) -> WordCache.Entry {
        WordCache.Entry(surface: surface, surfaceID: ids.surface, termID: ids.term, term: termNames[Int(ids.term)],
                        isStopWord: stopSurfaces[Int(ids.surface)])
    }

    private static func assign(_ entry: WordCache.Entry, to token: inout Token) {
        token.surfaceID = entry.surfaceID
        token.termID = entry.termID
        // A word's term is its stem, known only here; a CJK token is its own term.
        if token.term.isEmpty {
            token.term = entry.term
            token.isStopWord = entry.isStopWord
        }
    }

    /// The tokens of `text`, their ids and stems not yet looked up (but for ASCII words found
    /// in `cache`): no lock is held.
    private func tokenize(_ text: String, into stream: inout TokenStream, counts: inout ScriptCounts, isDocument: Bool,
                          cache: inout WordCache) {
        var normalized = Self.needsNormalization(text) ? text.precomposedStringWithCompatibilityMapping : text
        normalized.withUTF8 { tokenize($0, into: &stream, counts: &counts, isDocument: isDocument, cache: &cache) }
    }

    private func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, into stream: inout TokenStream, counts: inout ScriptCounts,
                          isDocument: Bool, cache: inout WordCache) {
        stream.tokens.reserveCapacity(stream.tokens.count + bytes.count / 5)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte < 0x80 {
                if !stream.cjk.isEmpty { flushCJK(&stream, counts: &counts, isDocument: isDocument) }
                if Self.isASCIIWordByte(byte) {
                    // The rest of the run of ASCII letters and digits in one loop: most bytes
                    // of most texts.
                    if stream.wordStart < 0 { stream.wordStart = i }
                    var letters = 0
                    repeat {
                        // A letter, among letters and digits, is any byte from "A" up.
                        letters += bytes[i] >= 0x41 ? 1 : 0
                        i += 1
                    } while i < bytes.count && Self.isASCIIWordByte(bytes[i])
                    counts.latin += letters
                    stream.wordEnd = i
                    continue
                } else if byte == UInt8(ascii: "'") && stream.wordStart >= 0 {
                    // Kept only when a letter follows ("China's"); trailing ones are dropped.
                } else {
                    flushWord(&stream, bytes, cache: &cache)
                    // Tested on the byte first: spaces are most of the bytes that get here.
                    if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "!") || byte == UInt8(ascii: "?"),
                       Self.endsSentence(byte, in: bytes, at: i, after: stream.tokens) {
                        stream.position += Self.sentenceGap
                    }
                }
                i += 1
                continue
            }
            let (scalar, length) = Self.scalar(in: bytes, at: i)
            counts.add(scalar)
            if Self.isCJK(scalar) {
                flushWord(&stream, bytes, cache: &cache)
                stream.cjk.append(scalar)
            } else {
                if scalar == "\u{3001}", HanCompounds.continuesList(stream.cjk, after: bytes, at: i + length) {
                    // 中、俄、哈 is the list 中俄哈: read on as one run (see `HanCompounds`).
                    i += length
                    continue
                }
                flushCJK(&stream, counts: &counts, isDocument: isDocument)
                if scalar == "\u{3002}" || scalar == "\u{FF01}" || scalar == "\u{FF1F}" { stream.position += Self.sentenceGap }
                if scalar == "\u{2019}" && stream.wordStart >= 0 {
                    // A typographic apostrophe inside a word; see above.
                    stream.wordIsASCII = false
                } else if Self.isWordScalar(scalar) {
                    if stream.wordStart < 0 { stream.wordStart = i }
                    stream.wordEnd = i + length
                    stream.wordIsASCII = false
                } else {
                    flushWord(&stream, bytes, cache: &cache)
                }
            }
            i += length
        }
        flushWord(&stream, bytes, cache: &cache)
        flushCJK(&stream, counts: &counts, isDocument: isDocument)
    }

    @inline(__always)
    private static func isASCIIWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
    }

    /// What `analyze` carries from byte to byte: the tokens so far, the next position, the
    /// word being read (byte offsets) and the run of CJK characters being read.
    private struct TokenStream {
        var tokens: [Token] = []
        var position: Int
        var wordStart = -1          // byte offset of the current word, or -1
        var wordEnd = 0             // end of the word without trailing apostrophes
        var wordIsASCII = true
        var cjk: [Unicode.Scalar] = []

        init(position: Int) { self.position = position }
    }

    /// One non-ASCII scalar decoded from its UTF-8 bytes at `index`, and their count.
    private static func scalar(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (Unicode.Scalar, Int) {
        let byte = bytes[index]
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
        var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<length where index + k < bytes.count { value = value << 6 | UInt32(bytes[index + k] & 0x3F) }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    /// The word being read becomes a token, folded (`resolve` stems it and flags stop words).
    ///
    /// An ASCII word is looked up in `cache` by its bytes, lower-cased on the way: found
    /// there (nearly always), it takes the cached strings and ids, and no string is made for
    /// it but its written form when that has capitals. Making the strings of every word
    /// and then hashing them again for the cache was a fifth of reading an item.
    private func flushWord(_ stream: inout TokenStream, _ bytes: UnsafeBufferPointer<UInt8>, cache: inout WordCache) {
        guard stream.wordStart >= 0 else { return }
        if stream.wordEnd > stream.wordStart {
            let slice = UnsafeBufferPointer(rebasing: bytes[stream.wordStart..<stream.wordEnd])
            if stream.wordIsASCII {
                stream.tokens.append(Self.asciiToken(slice, position: stream.position, cache: cache))
            } else {
                let original = String(decoding: slice, as: UTF8.self)
                stream.tokens.append(Token(term: "", surface: Self.fold(original), original: original, position: stream.position, isStopWord: false))
            }
            stream.position += 1
        }
        stream.wordStart = -1
        stream.wordIsASCII = true
    }

    /// The token of an ASCII word: resolved from `cache` when the word is there (its ids set),
    /// else with its folded form for `resolve` to look up.
    private static func asciiToken(_ word: UnsafeBufferPointer<UInt8>, position: Int, cache: WordCache) -> Token {
        let (key, hasCapitals) = WordCache.Key.folding(asciiWord: word)
        // Lower-cased straight into the string (an array per word in between was a tenth of
        // analysing a text).
        func folded() -> String {
            String(unsafeUninitializedCapacity: word.count) { buffer in
                for (offset, byte) in word.enumerated() { buffer[offset] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
                return word.count
            }
        }
        if let entry = cache.entry(key: key, word: folded) {
            let original = hasCapitals ? String(decoding: word, as: UTF8.self) : entry.surface
            return Token(term: entry.term, surface: entry.surface, original: original, position: position,
                         isStopWord: entry.isStopWord, termID: entry.termID, surfaceID: entry.surfaceID)
        }
        let surface = folded()
        let original = hasCapitals ? String(decoding: word, as: UTF8.self) : surface
        return Token(term: "", surface: surface, original: original, position: position, isStopWord: false)
    }

    /// The CJK run being read becomes bigrams (a lone character a unigram), folded to
    /// simplified, read as `HanCompounds` says.
    private func flushCJK(_ stream: inout TokenStream, counts: inout ScriptCounts, isDocument: Bool) {
        guard !stream.cjk.isEmpty else { return }
        let folded = simplify(stream.cjk)
        counts.hanFolded += folded.changed
        // The written characters stay the tokens' `original` while they line up.
        let written = folded.scalars.count == stream.cjk.count ? stream.cjk : folded.scalars
        let readings = HanCompounds.readings(of: folded.scalars)
        func append(_ range: ClosedRange<Int>) {
            let text = readings[range.lowerBound] ?? String(String.UnicodeScalarView(folded.scalars[range]))
            stream.tokens.append(Token(term: text, surface: text, original: String(String.UnicodeScalarView(written[range])),
                                       position: stream.position, isStopWord: false))
            stream.position += 1
        }
        if folded.scalars.count == 1 {
            append(0...0)
        } else {
            for index in 0..<(folded.scalars.count - 1) { append(index...(index + 1)) }
            // 俄 alone is Russia (赴俄 "to Russia", 美俄): at the end of a run no bigram
            // starts with it, so 俄* would miss it; there it also stands as a word, at the
            // position of its bigram (NEAR counts positions; phrases do not cross runs).
            if isDocument, folded.scalars.last == "俄" {
                stream.position -= 1
                append((folded.scalars.count - 1)...(folded.scalars.count - 1))
            }
        }
        stream.cjk.removeAll()
    }

    /// A CJK run in simplified characters, and how many characters folding changed. Only runs
    /// with a character `t2s` changes go to OpenCC, which is slower than the rest of the
    /// analyzer. Runs are not cached: a run is a clause, and clauses rarely repeat.
    private func simplify(_ run: [Unicode.Scalar]) -> (scalars: [Unicode.Scalar], changed: Int) {
        guard run.contains(where: traditional.contains) else { return (run, 0) }
        let converted = lock.withWriting { simplified.convert(String(String.UnicodeScalarView(run))) }
        let scalars = Array(converted.unicodeScalars)
        guard !scalars.isEmpty else { return (run, 0) }
        // Phrase tables map words of equal length in t2s; should one not, count the
        // characters that would change alone.
        guard scalars.count == run.count else { return (scalars, run.filter(traditional.contains).count) }
        return (scalars, zip(run, scalars).reduce(0) { $0 + ($1.0 == $1.1 ? 0 : 1) })
    }

    /// The ids of a folded word and of its stem (`stem` when the caller has it), adding them
    /// to the lexicon when new. Only holding `lock` for writing.
    private func lookup(_ surface: String, stem: String? = nil) -> (Int32, Int32) {
        if let known = lexicon[surface] { return known }
        let term = stem ?? stemmers.withPair { Self.stem(surface, with: $0) }
        let termID: Int32
        if let known = termIDs[term] {
            termID = known
        } else {
            termID = Int32(termNames.count)
            termNames.append(term)
            termIDs[term] = termID
        }
        let surfaceID = Int32(stopSurfaces.count)
        stopSurfaces.append(StopWords.contains(surface))
        lexicon[surface] = (surfaceID, termID)
        return (surfaceID, termID)
    }

    /// The id of a stemmed term, adding it when new (for query terms).
    func termID(_ term: String) -> Int32 {
        lock.withWriting {
            if let known = termIDs[term] { return known }
            let id = Int32(termNames.count)
            termNames.append(term)
            termIDs[term] = id
            return id
        }
    }

    /// Stems one folded word with the stemmer of its script.
    public func stem(_ surface: String) -> String {
        lock.withWriting { termNames[Int(lookup(surface).1)] }
    }

    private static func stem(_ surface: String, with stemmers: StemmerPool.Pair) -> String {
        var hasLatin = false, hasCyrillic = false
        for scalar in surface.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                // ASCII letters told from their code (the property lookup was half of stemming a word).
                if (value | 0x20) >= 0x61 && (value | 0x20) <= 0x7A { hasLatin = true }
            } else if (0x0400...0x04FF).contains(value) {
                hasCyrillic = true
            } else if scalar.properties.isAlphabetic {
                hasLatin = true
            }
        }
        if hasCyrillic && !hasLatin { return russianStemOverrides[surface] ?? stemmers.russian.stem(surface) }
        if hasLatin && !hasCyrillic { return stemmers.english.stem(surface) }
        return surface
    }

    /// Words whose forms Snowball's Russian stemmer splits over two stems, so that one rule
    /// word would miss half the paradigm. Snowball is made for common words; these proper
    /// names decline irregularly and are the words this domain hangs on: "Китай" stems to
    /// "кита" but its genitive "Китая" (the commonest form: "учения России и Китая") to
    /// "кит". Each form here gets its nominative's stem.
    static let russianStemOverrides: [String: String] = [
        "китая": "кита",  // китай, китаю, китаем, китае → кита already
    ]

    /// Full case folding for matching: lower case, `ß` → `ss`, final sigma → sigma, `ё` → `е`,
    /// typographic apostrophe → `'`.
    public static func fold(_ text: String) -> String {
        if isASCII(text) { return text.lowercased() }
        var out = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            switch scalar {
            case "ß": out.append("s"); out.append("s")
            case "ς": out.append("σ")
            case "ё": out.append("е")
            case "\u{2019}": out.append("'")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    static func isASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } }

    /// Whether NFKC could change `text`: only when it holds combining marks or compatibility
    /// characters (no-break and typographic spaces, ligatures, full-width forms, super- and
    /// subscripts, enclosed or compatibility CJK). Plain Latin, Cyrillic and CJK text with
    /// curly quotes and dashes is already normalised, and skipping Foundation's normaliser
    /// for it is most of the analyzer's speed.
    static func needsNormalization(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            // Every scalar listed is outside ASCII: ASCII is stepped over eight bytes at a
            // time, and only the rest is decoded.
            guard let base = bytes.baseAddress else { return false }
            var i = 0
            while i < bytes.count {
                if i + 8 <= bytes.count {
                    let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
                }
                guard bytes[i] >= 0x80 else { i += 1; continue }
                let (scalar, length) = scalar(in: bytes, at: i)
                if needsNormalization(scalar) { return true }
                i += length
            }
            return false
        }
    }

    private static func needsNormalization(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x00A0...0x00BF, 0x0300...0x036F, 0x0483...0x0489, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF,
                 0x2000...0x200A, 0x2024...0x2026, 0x202F, 0x2033...0x2037, 0x203C...0x2057, 0x205F,
                 0x2070...0x209F, 0x20D0...0x20FF, 0x2100...0x218F, 0x2460...0x24FF, 0x2A0C...0x2A74,
                 0x2C7C...0x2C7D, 0x2E9F, 0x2EF3, 0x2F00...0x2FDF, 0x3000, 0x3099...0x309C, 0x309F, 0x30FF,
                 0x3131...0x318E, 0x3192...0x319F, 0x3200...0x33FF, 0xA69C...0xA69D, 0xA770, 0xA7F8...0xA7F9,
                 0xAB5C...0xAB5F, 0xF900...0xFAFF, 0xFB00...0xFDFF, 0xFE00...0xFE6F, 0xFF00...0xFFEF,
                 0x1D400...0x1D7FF, 0x1F100...0x1F1FF, 0x2F800...0x2FA1F:
                return true
            default:
                return false
            }
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 {
            let v = scalar.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
        }
        if ScriptCounts.generalPunctuation.contains(scalar.value) { return false }
        let properties = scalar.properties
        return properties.isAlphabetic || properties.numericType == .decimal
            || properties.generalCategory == .nonspacingMark || properties.generalCategory == .spacingMark
    }

    /// The positions between one sentence and the next: more than the widest NEAR of the
    /// rules (20) and the widest window of the facts (`FactExtractor.participantWindow`, 45), so
    /// "close to" means within a sentence. A lead that names the two countries in one sentence
    /// and someone else's exercise in the next is not a joint exercise.
    static let sentenceGap = 64

    /// A full stop, question or exclamation mark before a space or a line's end, or a blank
    /// line (a paragraph's end), ends a sentence; a stop after an initial ("U.S.") or a usual
    /// abbreviation ("Gen.", "Aug.") does not, nor does a single line break: plain-text feeds
    /// and articles wrap lines in the middle of sentences.
    private static func endsSentence(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, at index: Int, after tokens: [Token]) -> Bool {
        if byte == UInt8(ascii: "\n") {
            var next = index + 1
            if next < bytes.count && bytes[next] == UInt8(ascii: "\r") { next += 1 }
            return next < bytes.count && bytes[next] == UInt8(ascii: "\n")
        }
        guard index + 1 == bytes.count || bytes[index + 1] == UInt8(ascii: " ") || bytes[index + 1] == UInt8(ascii: "\n") else { return false }
        guard byte == UInt8(ascii: "."), let last = tokens.last?.surface else { return true }
        // Told by its length before it is hashed: most words before a full stop are longer than
        // any abbreviation (hashing each was 1% of reading an item).
        let length = last.utf8.count
        return length > 1 && !(length <= longestAbbreviation && abbreviations.contains(last))
    }

    /// The most bytes an abbreviation has.
    private static let longestAbbreviation = abbreviations.map(\.utf8.count).max() ?? 0

    private static let abbreviations: Set<String> = [
        "mr", "mrs", "ms", "dr", "st", "gen", "lt", "col", "maj", "capt", "adm", "sgt", "cmdr", "gov", "sen", "rep", "no", "vs",
        "inc", "co", "jr", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "ул", "им", "г", "гг",
    ]

    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x3040...0x30FF).contains(v)
            || (0xAC00...0xD7AF).contains(v) || (0xF900...0xFAFF).contains(v)
    }
}

/// Function words that carry no topic, in English and Russian. They keep their positions (so
/// phrases such as "Sea of Japan" match) but are left out of similarity vectors.
enum StopWords {
    static func contains(_ folded: String) -> Bool { words.contains(folded) }

    private static let words: Set<String> = Set(("a about above after again against all also am an and any are as at be because been "
        + "before being below between both but by can could did do does doing down during each few for from further had has "
        + "have having he her here hers herself him himself his how i if in into is it its itself just me more most my "
        + "myself no nor not now of off on once only or other our ours ourselves out over own same she should so some "
        + "such than that the their theirs them themselves then there these they this those through to too under until "
        + "up very was we were what when where which while who whom why will with would you your yours yourself "
        + "yourselves said says say according its it's would also one two new us mr ms "
        + "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от "
        + "меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж "
        + "вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто "
        + "чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой "
        + "тем чтобы нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот "
        + "через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть "
        + "том нельзя такой им более всегда конечно всю между также это")
        .split(separator: " ").map(String.init))
}

/// "China" in the name of a sea or a newspaper is not China: the South China Sea, the East
/// China Sea, the South China Morning Post, «Южно-Китайское море». There the word is read as
/// one with the word before it ("south-china", "южно-китайское"), so China rules (`china`,
/// `китай*`) do not find it, while the names themselves, analysed the same way in the
/// gazetteer's phrases, still match. A drill in the South China Sea reported with Russia named
/// was read as China and Russia drilling together.
enum SeaNames {
    static func mark(_ tokens: inout [Token], from start: Int) {
        guard tokens.count - start >= 3 else { return }
        for index in (start + 1)..<(tokens.count - 1) {
            // Told by the first byte before any string is compared: this runs for every word.
            let first = tokens[index].surface.utf8.first
            guard first == UInt8(ascii: "c") || first == 0xD0 else { continue }
            let word = tokens[index].surface
            let english = word == "china"
            guard english || word.utf8.starts(with: "китайск".utf8) else { continue }
            let before = tokens[index - 1], after = tokens[index + 1]
            guard before.position + 1 == tokens[index].position, tokens[index].position + 1 == after.position else { continue }
            let named = english
                ? (before.surface == "south" || before.surface == "east") && ["sea", "seas", "morning"].contains(after.surface)
                : (before.surface == "южно" || before.surface == "восточно") && after.surface.utf8.starts(with: "мор".utf8)
            if named {
                // A word of its own now: `resolve` looks it up (the ids were the word's alone).
                tokens[index].surface = before.surface + "-" + word
                tokens[index].term = ""
                tokens[index].surfaceID = -1
                tokens[index].termID = -1
            }
        }
    }
}

/// Where plain bigrams misread Chinese names: country lists, seas named with 中国, 白俄 and 海上合作.
enum HanCompounds {
    /// Country lists are runs of one-character abbreviations in any order: 中伊俄 is "China,
    /// Iran and Russia", yet its bigrams 中伊 伊俄 hold no 中俄 and no word starting with 俄, so
    /// China–Russia rules miss it. A run of three or more such characters naming both, but not
    /// side by side, reads its first bigram as 中俄.
    /// (With the traditional forms of 韩乌缅欧: a list is recognised before its run is folded.)
    private static let abbreviations: Set<Unicode.Scalar> = Set("中俄伊美日韩朝印巴蒙哈塔吉乌越老柬泰缅南非法德英意土埃沙阿欧澳加菲韓烏緬歐".unicodeScalars)

    /// Whether an enumeration comma (、) after `run` only separates one-character names of a
    /// list, "中、俄、哈、吉、塔五国" (China, Russia, Kazakhstan, …): the run so far is such names
    /// and one follows. Then the comma is skipped and the list reads as 中俄哈吉塔, whose bigrams
    /// hold 中俄; "中国、俄罗斯" stays two runs (国 is no one-character name).
    static func continuesList(_ run: [Unicode.Scalar], after bytes: UnsafeBufferPointer<UInt8>, at next: Int) -> Bool {
        guard !run.isEmpty, run.allSatisfy(abbreviations.contains),
              next + 2 < bytes.count, bytes[next] >= 0xE0, bytes[next] < 0xF0 else { return false }
        let value = (UInt32(bytes[next]) & 0x0F) << 12 | (UInt32(bytes[next + 1]) & 0x3F) << 6 | (UInt32(bytes[next + 2]) & 0x3F)
        guard let following = Unicode.Scalar(value) else { return false }
        return abbreviations.contains(following)
    }

    /// Bigram index → the term it is read as, where it differs from its characters.
    static func readings(of run: [Unicode.Scalar]) -> [Int: String] {
        // The readings are about 俄 and 中国海; most runs hold neither (this is the analyzer's
        // hot loop).
        guard run.count >= 2 else { return [:] }
        let namesRussia = run.contains("俄")
        guard namesRussia || run.contains("海") else { return [:] }
        var readings: [Int: String] = [:]
        // 南中国海 and 东中国海 (Hong Kong, Taiwanese and Singaporean usage for 南海, 东海) name
        // seas: their 中国 is read as the sea's name, as "South China Sea" is in English.
        if run.count >= 4 {
            for index in 0..<(run.count - 3) where (run[index] == "南" || run[index] == "东")
                && run[index + 1] == "中" && run[index + 2] == "国" && run[index + 3] == "海" {
                readings[index + 1] = String(run[index]) + "中国海"
            }
        }
        // 上合 is the Shanghai Cooperation Organisation's short name, but in 海上合作 ("maritime
        // cooperation", the name of the PLA Navy's multinational search-and-rescue drills) it
        // straddles 海上 ("at sea") and 合作: read there as the sea's, not the SCO's.
        if run.count >= 3 {
            for index in 0..<(run.count - 2) where run[index] == "海" && run[index + 1] == "上" && run[index + 2] == "合" {
                readings[index + 1] = "海上合"
            }
        }
        guard namesRussia else { return readings }
        var start = 0
        while start < run.count {
            guard abbreviations.contains(run[start]) else { start += 1; continue }
            var end = start
            while end < run.count && abbreviations.contains(run[end]) { end += 1 }
            let list = run[start..<end]
            if list.count >= 3, list.contains("中"), list.contains("俄"),
               !zip(list, list.dropFirst()).contains(where: { ($0 == "中" && $1 == "俄") || ($0 == "俄" && $1 == "中") }) {
                readings[start] = "中俄"
            }
            start = end
        }
        // 白俄 is Belarus (白俄罗斯), which contains 俄罗斯, Russia: the bigrams inside the name
        // read as the name, so neither 俄罗斯 nor 俄* (俄军 in 白俄军队) finds Russia in Belarus.
        for index in 0..<(run.count - 1) where run[index] == "白" && run[index + 1] == "俄" {
            let full = index + 3 < run.count && run[index + 2] == "罗" && run[index + 3] == "斯"
            if index + 2 < run.count { readings[index + 1] = full ? "白俄罗斯" : "白俄" }
            if full { readings[index + 2] = "白俄罗斯" }
        }
        return readings
    }
}
