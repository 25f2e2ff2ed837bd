import Foundation

/// One document of the reference corpus: an article about a China–Russia joint drill.
public struct CorpusDocument: Sendable, Equatable {
    /// The file name without extension: how alerts and `corpus show` refer to it.
    public var id: String
    public var title: String?
    public var date: String?
    public var url: String?
    public var exercise: String?
    /// The article text with publisher boilerplate removed.
    public var body: String

    public init(id: String, title: String? = nil, date: String? = nil, url: String? = nil, exercise: String? = nil, body: String) {
        self.id = id
        self.title = title
        self.date = date
        self.url = url
        self.exercise = exercise
        self.body = body
    }

    /// Reads a corpus document: plain text or Markdown, with optional front matter
    ///
    ///     ---
    ///     title: China and Russia begin Joint Sea-2024
    ///     date: 2024-07-15
    ///     url: https://…
    ///     exercise: Joint Sea-2024
    ///     ---
    ///
    /// Without a `title`, the first line is the title when it reads like a headline (short,
    /// no final full stop). Markdown syntax is reduced to its text, and publisher boilerplate
    /// (appeals, newsletter prompts, comment counters, credits) is removed so it cannot drive
    /// similarity.
    public static func parse(id: String, text: String) -> CorpusDocument {
        var lines = text.replacingCRLF().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var document = CorpusDocument(id: id, body: "")
        if lines.first?.trimmedSpaces == "---", let end = lines.dropFirst().firstIndex(where: { $0.trimmedSpaces == "---" }) {
            for line in lines[1..<end] {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].trimmedSpaces.lowercased()
                var value = line[line.index(after: colon)...].trimmedSpaces
                if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                    value = String(value.dropFirst().dropLast())
                }
                guard !value.isEmpty else { continue }
                switch key {
                case "title": document.title = value
                case "date": document.date = value
                case "url", "link": document.url = value
                case "exercise": document.exercise = value
                default: break
                }
            }
            lines.removeSubrange(0...end)
        }
        var paragraphs = Boilerplate.strip(lines.map(Markdown.plain))
        if document.title == nil, let first = paragraphs.first, first.split(separator: " ").count <= 20,
           !first.hasSuffix("."), !first.hasPrefix("-") {
            document.title = first
            paragraphs.removeFirst()
        }
        document.body = paragraphs.joined(separator: "\n\n")
        return document
    }
}

/// Publisher boilerplate in articles: fundraising appeals, newsletter prompts, comment
/// counters, share buttons, photo credits, "read more" links. Written as general patterns of
/// web publishing, not for any one site.
public enum Boilerplate {
    /// Lines that are boilerplate wherever they appear.
    static let patterns = Phrases([
        "newsletter", "subscribe", "subscription", "sign up", "signup", "log in to", "login to",
        "donate", "donation", "support us", "support our", "supporting our", "support independent",
        "your support", "your contribution", "make a contribution", "contribute now", "we need your help",
        "independent journalism", "dear reader", "a message from", "not ready to support", "remind me later",
        "privacy policy", "terms of use", "cookie", "all rights reserved", "comments (", "leave a comment",
        "share this", "share on", "follow us", "read more", "read also", "see also", "related articles",
        "related stories", "recommended for you", "advertisement", "click here", "appeared first on",
        "paiment", "payment methods",
    ])

    /// Lines after which the rest of an article is normally appeals and footer.
    static let footerMarkers = Phrases(["dear reader", "a message from", "sign up for", "newsletter", "related articles", "related stories"])

    static let callsToAction = ["support ", "subscribe", "donate", "join us", "become a"].map { Array($0.utf8) }

    /// Removes boilerplate lines from a feed item's text. Feed summaries are short, so only
    /// short lines are candidates ("Read more", "The post … appeared first on …"): a long
    /// paragraph that happens to end in "read more" is the story itself.
    public static func stripItem(_ text: String) -> String {
        text.utf8.withContiguousStorageIfAvailable { stripItem(text, $0) }
            ?? Array(text.utf8).withUnsafeBufferPointer { stripItem(text, $0) }
    }

    /// The lines of `bytes` (`text`'s), each kept or dropped as a whole, copied once into the
    /// result; a text that loses nothing is returned as it is. Every item passes here, and
    /// feed items are paragraphs: a string per line, then joined, was 6% of a scan.
    private static func stripItem(_ text: String, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard let base = bytes.baseAddress else { return text }
        guard memchr(base, 0x0A, bytes.count) != nil || bytes.count < 200 else {
            return isShortBoilerplate(bytes) ? "" : text
        }
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var start = 0
        while start < bytes.count {
            let end = memchr(base + start, 0x0A, bytes.count - start).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base }
                ?? bytes.count
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            start = end + 1
            guard !line.isEmpty else { continue }
            if line.count < 160, isShortBoilerplate(line) { continue }
            if !kept.isEmpty { kept.append(0x0A) }
            kept.append(contentsOf: line)
        }
        return kept.count == bytes.count ? text : String(decoding: kept, as: UTF8.self)
    }

    /// Removes boilerplate from an article's lines; returns the remaining paragraphs.
    public static func strip(_ lines: [String]) -> [String] {
        var paragraphs = lines.map(\.trimmedSpaces).filter { !$0.isEmpty }
        let lowered = paragraphs.map(LowerBytes.init)
        // Cut the footer: from a marker in the second half of the article to the end.
        if let cut = paragraphs.indices.first(where: { index in
            index >= paragraphs.count / 2 && lowered[index].containsAny(footerMarkers)
        }) {
            paragraphs.removeSubrange(cut...)
        }
        paragraphs = zip(paragraphs, lowered).filter { !isBoilerplate($0.0, lower: $0.1) }.map(\.0)
        // Trailing scraps: button labels, bylines.
        while let last = paragraphs.last, last.split(separator: " ").count < 5, !last.hasSuffix(".") {
            paragraphs.removeLast()
        }
        return paragraphs
    }

    /// `isBoilerplate` with at most 15 words, the words counted on the bytes before a string is
    /// made and lowered: every item's text comes here, and most lines are longer.
    private static func isShortBoilerplate(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard LowerBytes.wordCount(bytes, atMost: 15) <= 15 else { return false }
        let line = String(decoding: bytes, as: UTF8.self)
        return isBoilerplate(line, lower: LowerBytes(line), maxWords: 15)
    }

    static func isBoilerplate(_ line: String, lower: LowerBytes, maxWords: Int = 59) -> Bool {
        let words = lower.wordCount
        if words <= maxWords && lower.containsAny(patterns) { return true }
        // Short calls to action: "Support The Daily Planet!", "Subscribe today".
        if words <= 6 && callsToAction.contains(where: lower.hasPrefix) { return true }
        // Photo credits: "Li Yun / XINHUA / EPA / TASS".
        if words <= 12 && lower.bytes.filter({ $0 == UInt8(ascii: "/") }).count >= 2 && !line.hasSuffix(".") { return true }
        return false
    }
}

/// A line's UTF-8 bytes with ASCII letters lower-cased: enough to look for English
/// boilerplate phrases quickly (memmem) without Foundation's locale-aware search.
struct LowerBytes {
    let bytes: [UInt8]

    init(_ text: String) {
        bytes = text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    }

    var wordCount: Int { bytes.withUnsafeBufferPointer { Self.wordCount($0) } }

    /// Runs of bytes other than space and tab (lower-casing changes no count), counted up to
    /// one more than `limit`.
    static func wordCount(_ bytes: UnsafeBufferPointer<UInt8>, atMost limit: Int = .max) -> Int {
        var count = 0, inWord = false
        for byte in bytes {
            let space = byte == 0x20 || byte == 0x09
            if !space && !inWord {
                count += 1
                if count > limit { break }
            }
            inWord = !space
        }
        return count
    }

    func hasPrefix(_ prefix: [UInt8]) -> Bool { bytes.starts(with: prefix) }

    func containsAny(_ phrases: Phrases) -> Bool {
        bytes.withUnsafeBufferPointer(phrases.occur)
    }
}

/// Byte strings (of two bytes or more) to look for in a line at once: one pass over the line,
/// where a position is looked at further only when its two bytes begin one of them (a bit
/// in a table of byte pairs). One search per phrase was 3% of a scan.
struct Phrases {
    private let phrases: [[UInt8]]
    /// Bit `pair` is set when a phrase begins with the bytes `pair >> 8`, `pair & 0xFF`.
    private let pairs: [UInt64]

    init(_ phrases: [String]) {
        self.phrases = phrases.map { Array($0.utf8) }
        precondition(self.phrases.allSatisfy { $0.count >= 2 }, "a phrase of fewer than two bytes")
        var pairs = [UInt64](repeating: 0, count: 1024)
        for phrase in self.phrases {
            let pair = Int(phrase[0]) << 8 | Int(phrase[1])
            pairs[pair >> 6] |= 1 << UInt64(pair & 63)
        }
        self.pairs = pairs
    }

    func occur(in line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard line.count >= 2 else { return false }
        for i in 0..<(line.count - 1) {
            let pair = Int(line[i]) << 8 | Int(line[i + 1])
            guard pairs[pair >> 6] & (1 << UInt64(pair & 63)) != 0 else { continue }
            let rest = UnsafeBufferPointer(rebasing: line[i...])
            if phrases.contains(where: { rest.starts(with: $0) }) { return true }
        }
        return false
    }
}

/// Just enough Markdown to read text: headings, emphasis, links and images reduced to text.
enum Markdown {
    static func plain(_ line: String) -> String {
        var text = line
        while text.hasPrefix("#") { text.removeFirst() }
        if text.hasPrefix(">") { text.removeFirst() }
        guard text.contains(where: { $0 == "[" || $0 == "*" || $0 == "_" || $0 == "`" }) else { return text }
        text = text.replacingOccurrences(of: #"!\[([^\]]*)\]\([^)]*\)"#, with: "$1", options: .regularExpression)
        text = text.replacingOccurrences(of: #"\[([^\]]*)\]\([^)]*\)"#, with: "$1", options: .regularExpression)
        text = text.replacingOccurrences(of: #"(\*\*|__|\*|`)"#, with: "", options: .regularExpression)
        return text
    }
}

extension StringProtocol {
    var trimmedSpaces: String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    func replacingCRLF() -> String {
        guard utf8.contains(13) else { return String(self) }
        return String(self).replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }
}
