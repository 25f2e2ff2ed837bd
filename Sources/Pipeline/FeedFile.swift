import Foundation
import SafeText
import Settings
import XML

/// Edits the `[[feeds]]` of a configuration file as text, so that its comments and layout
/// stay as they are: a feed is appended as a block, removed as its block, paused with one
/// line. Every change is checked by loading the edited file before it replaces the original.
public struct FeedFile {
    public enum EditError: Error, Sendable, CustomStringConvertible {
        case noSuchFeed(String)
        case duplicate(String)
        /// The problems of the edited file, as they would be reported for it.
        case invalid(String)
        case cannotWrite(String, String)

        public var description: String {
            switch self {
            case .noSuchFeed(let name): "no [[feeds]] named '\(name)' in this file (a feed of a base file is changed there)"
            case .duplicate(let name): "a feed named '\(name)' or with this URL is configured already"
            case .invalid(let problems): "the change was not made: the file would not load\n\(problems)"
            case .cannotWrite(let path, let reason): "\(path): cannot be written (\(reason))"
            }
        }
    }

    public let file: URL
    public private(set) var text: String

    public init(file: URL) throws(EditError) {
        self.file = file
        guard let data = FileManager.default.contents(atPath: file.path) else { throw .cannotWrite(file.path, "cannot be read") }
        text = String(decoding: data, as: UTF8.self)
    }

    /// A new `[[feeds]]` block at the end of the file.
    public mutating func add(name: String, url: String, intervalMinutes: Double? = nil, tags: [String] = []) {
        var block = ["", "[[feeds]]", "name = \(TOMLText.quoted(name))", "url = \(TOMLText.quoted(url))"]
        if let intervalMinutes { block.append("interval_minutes = \(Self.number(intervalMinutes))") }
        if !tags.isEmpty { block.append("tags = [\(tags.map(TOMLText.quoted).joined(separator: ", "))]") }
        text = text.hasSuffix("\n") || text.isEmpty ? text : text + "\n"
        text += block.joined(separator: "\n") + "\n"
    }

    /// A number as TOML writes it, whatever it is: 30, 7.5, nan, inf. The file is loaded before
    /// it is written, and the loader refuses what is out of range with its line; converting
    /// NaN or infinity to an integer here trapped instead, and 7.5 became 7.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Removes the block of the feed named `name`.
    public mutating func remove(name: String) throws(EditError) {
        var lines = text.components(separatedBy: "\n")
        let block = try Self.block(of: name, in: lines)
        lines.removeSubrange(block)
        // The blank line that separated it goes with it.
        if block.lowerBound > 0, block.lowerBound <= lines.count, lines[block.lowerBound - 1].trimmingCharacters(in: .whitespaces).isEmpty {
            lines.remove(at: block.lowerBound - 1)
        }
        text = lines.joined(separator: "\n")
    }

    /// Sets (or clears) `paused = true` in the block of the feed named `name`.
    public mutating func setPaused(_ paused: Bool, name: String) throws(EditError) {
        var lines = text.components(separatedBy: "\n")
        let block = try Self.block(of: name, in: lines)
        var body = Array(lines[block]).filter { !Self.isKey($0, "paused") }
        if paused, let nameLine = body.firstIndex(where: { Self.isKey($0, "name") }) { body.insert("paused = true", at: nameLine + 1) }
        lines.replaceSubrange(block, with: body)
        text = lines.joined(separator: "\n")
    }

    /// Loads the edited text (with `check` for the rules) and, when it loads, writes it over
    /// the file atomically. The edit is checked beside the original, so relative paths mean
    /// the same.
    public func save(checkingRules check: RuleCheck?) throws(EditError) -> Settings {
        let probe = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).edit-\(getpid())")
        defer { try? FileManager.default.removeItem(at: probe) }
        do { try Data(text.utf8).write(to: probe) } catch { throw .cannotWrite(probe.path, error.localizedDescription) }
        let settings: Settings
        do { settings = try Settings.load(probe, checkingRules: check) } catch {
            throw .invalid(error.description.replacingOccurrences(of: probe.lastPathComponent, with: file.lastPathComponent))
        }
        do { try Data(text.utf8).write(to: file, options: .atomic) } catch { throw .cannotWrite(file.path, error.localizedDescription) }
        return settings
    }

    /// The lines of `name`'s block: from its `[[feeds]]` header to the line before the next
    /// table header (or the end); its own sub-tables (`[feeds.headers]`) belong to it.
    static func block(of name: String, in lines: [String]) throws(EditError) -> Range<Int> {
        var index = 0
        while index < lines.count {
            guard lines[index].trimmingCharacters(in: .whitespaces) == "[[feeds]]" else { index += 1; continue }
            var end = index + 1
            while end < lines.count {
                let line = lines[end].trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("[") && !line.hasPrefix("[feeds.") { break }
                end += 1
            }
            // Trailing blank lines belong to what follows.
            var last = end
            while last > index + 1 && lines[last - 1].trimmingCharacters(in: .whitespaces).isEmpty { last -= 1 }
            if lines[index..<last].contains(where: { isKey($0, "name") && value(of: $0) == name }) { return index..<last }
            index = end
        }
        throw .noSuchFeed(name)
    }

    static func isKey(_ line: String, _ key: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix(key) else { return false }
        return trimmed.dropFirst(key.count).trimmingCharacters(in: .whitespaces).hasPrefix("=")
    }

    /// The string value of a `key = "value"` line.
    static func value(of line: String) -> String? {
        guard let equals = line.firstIndex(of: "=") else { return nil }
        let raw = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard raw.count >= 2, let quote = raw.first, quote == "\"" || quote == "'", let close = raw.dropFirst().firstIndex(of: quote) else { return nil }
        return String(raw[raw.index(after: raw.startIndex)..<close]).replacingOccurrences(of: "\\\"", with: "\"")
    }
}

/// OPML 2.0, the feed list format of every reader: read with libxml2, written by hand.
public enum OPML {
    public struct Outline: Sendable, Equatable {
        public var title: String
        public var url: String
    }

    /// Every `<outline>` with an `xmlUrl`, in document order.
    public static func outlines(_ bytes: [UInt8]) -> [Outline] {
        let collector = OutlineCollector()
        let parser = XMLStreamParser(handler: collector)
        bytes.withUnsafeBytes { parser.parse($0, isLast: true) }
        return collector.outlines
    }

    public static func document(_ feeds: [FeedSettings], title: String) -> String {
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<opml version=\"2.0\">",
                     "  <head><title>\(escape(title))</title></head>", "  <body>"]
        for feed in feeds where !feed.isLocalFile {
            lines.append("    <outline type=\"rss\" text=\"\(escape(feed.name))\" title=\"\(escape(feed.name))\" xmlUrl=\"\(escape(Redaction.url(feed.url)))\"/>")
        }
        lines += ["  </body>", "</opml>", ""]
        return lines.joined(separator: "\n")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private final class OutlineCollector: XMLEventHandler {
        var outlines: [Outline] = []
        func startElement(_ tag: XMLStartTag) {
            guard tag.localNameString == "outline" else { return }
            let attributes = tag.attributes
            guard let url = attributes.first(where: { $0.localName == "xmlUrl" })?.value, !url.isEmpty else { return }
            let title = attributes.first { $0.localName == "title" }?.value ?? attributes.first { $0.localName == "text" }?.value ?? url
            outlines.append(Outline(title: title, url: url))
        }
        func endElement() {}
        func characters(_ text: UnsafeBufferPointer<UInt8>) {}
    }
}
