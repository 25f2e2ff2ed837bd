import Article
import Curl
import Feeds
import Foundation
import LocalFiles
import Model
import XML

extension Item {
    /// A feed entry as the classifier reads it: the title as plain text, the body text, the
    /// entry's key as id, its publication (or else update) date.
    ///
    /// Titles and texts are cut at `maxTitleCharacters` / `maxTextCharacters`: a news report is
    /// far shorter, and whatever is kept goes into the database, every alert file and the digest.
    init(entry: FeedEntry, source: String?) {
        self.init(id: entry.key, title: Self.cut(HTMLText.plainText(fromHTML: entry.title ?? ""), Self.maxTitleCharacters),
                  text: Self.cut(entry.text, Self.maxTextCharacters),
                  link: entry.link.map { Self.cut($0, Self.maxLinkCharacters) }, published: entry.published ?? entry.updated, source: source)
    }

    /// A feed's date as drillwatch keeps it. One more than a day ahead of the fetch (time zones
    /// and clocks differ by less) is the fetch's time, as Miniflux does: a date in year 9999
    /// made the story memory, when it pruned, forget every story older than the window before
    /// it, so later copies alerted again. One before 1990 (a CMS's "0001-01-01") is no date:
    /// taken at its word it fell before the retention horizon, and the item never alerted.
    public static func plausibleDate(_ date: Date?, fetchedAt fetched: Date) -> Date? {
        guard let date, date >= earliestPlausible else { return nil }
        return date > fetched.addingTimeInterval(86_400) ? fetched : date
    }

    /// 1990-01-01T00:00:00Z: before web feeds, and before anything drillwatch watches.
    static let earliestPlausible = Date(timeIntervalSince1970: 631_152_000)

    static let maxTitleCharacters = 1_000
    static let maxTextCharacters = 100_000
    static let maxLinkCharacters = 4_000

    private static func cut(_ text: String, _ limit: Int) -> String {
        // Counting UTF-8 bytes first keeps the common case from walking grapheme clusters.
        guard text.utf8.count > limit else { return text }
        guard let end = text.index(text.startIndex, offsetBy: limit, limitedBy: text.endIndex) else { return text }
        return String(text[..<end]) + "…"
    }
}

/// What an evaluation file says of an item (the `label` of `shared/eval/README.md`).
public enum DrillLabel: String, Sendable, CaseIterable, Encodable {
    /// It reports a China–Russia joint exercise, drill or patrol.
    case drill
    case other
}

/// A labelled item from an evaluation file.
public struct LabelledItem: Sendable {
    public var item: Item
    /// Nil for an item without one (`classify` reads those; `eval` and `train` leave them out).
    public var label: DrillLabel?
    public var category: String?
    /// Near-duplicates (one wire story from several outlets) share a story key.
    public var story: String?
    /// The exercise, patrol or topic (`joint-sea-2016`): one event in any language.
    public var event: String?
    /// `en`, `ru`, `zh`, as the record says.
    public var language: String?

    public init(item: Item, label: DrillLabel? = nil, category: String? = nil, story: String? = nil,
                event: String? = nil, language: String? = nil) {
        self.item = item
        self.label = label
        self.category = category
        self.story = story
        self.event = event
        self.language = language
    }

    public var isDrill: Bool { label == .drill }

    /// What keeps near-duplicates together when items are split: the story, else the link.
    public var group: String { story ?? item.link ?? item.id }

    /// The same item as a news-search feed would deliver it: the headline alone.
    public var headlineOnly: LabelledItem {
        var copy = self
        copy.item.text = ""
        return copy
    }
}

/// Reads the items `classify` and `eval` judge: JSONL records, a plain-text article, or a
/// feed (a file or an http(s) URL).
public struct ItemReader: Sendable {
    /// Whether a `label` that is neither drill nor other stops the reading (eval, train), or
    /// is left out (classify: the labels of other tools, such as the benchmark generator's
    /// "joint" and "none", are none of its business).
    private let checksLabels: Bool

    public init() { checksLabels = false }

    private init(checksLabels: Bool) { self.checksLabels = checksLabels }

    /// The labelled items of several inputs, each id once (the first kept), and how many were
    /// left out as repeats. `data/labelled/*.jsonl` names the split files beside the files they
    /// were split from: read twice, every item would be trained on and tested against itself.
    public func readLabelled(_ inputs: [String]) async throws(PipelineError) -> (items: [LabelledItem], repeated: Int) {
        var items: [LabelledItem] = []
        var seen = Set<String>()
        var repeated = 0
        let reader = ItemReader(checksLabels: true)
        for input in inputs {
            for item in try await reader.read(input) {
                if seen.insert(item.item.id).inserted { items.append(item) } else { repeated += 1 }
            }
        }
        return (items, repeated)
    }

    public func read(_ input: String, standardInput: @Sendable () -> Data = { FileHandle.standardInput.readDataToEndOfFile() }) async throws(PipelineError) -> [LabelledItem] {
        if input == "-" {
            return try jsonLines(standardInput(), source: "stdin")
        }
        if input.hasPrefix("http://") || input.hasPrefix("https://") {
            let response: HTTPResponse
            do {
                response = try await HTTPClient().fetch(HTTPRequest(url: input))
            } catch {
                throw PipelineError.cannotRead(input, error.description)
            }
            guard response.isSuccess else { throw PipelineError.cannotRead(input, "server answered \(response.status)") }
            let headers = Dictionary(response.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
            return try feed(response.body, source: FeedSource(url: response.finalURL, headers: headers), name: input)
        }
        let data: Data
        do { data = try LocalFile.read(atPath: input) } catch { throw PipelineError.cannotRead(input, error.reason) }
        let first = data.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF) }
        if input.hasSuffix(".jsonl") || input.hasSuffix(".ndjson") {
            return try jsonLines(data, source: input)
        }
        // An empty file was judged as an article with no words, shown by its file name. (An
        // empty JSONL file holds no items, as an empty export of feedback does.)
        guard first != nil else { throw PipelineError.invalidInput(input, line: nil, "empty: nothing to judge") }
        if first == UInt8(ascii: "<") {
            return try feed(Array(data), source: FeedSource(), name: input)
        }
        if first == UInt8(ascii: "{") {
            // A JSON Feed (one document) or JSONL items: parsed once, as a feed if it is one.
            if let document = try? FeedParser.parse(Array(data)) { return items(of: document) }
            return try jsonLines(data, source: input)
        }
        // What is left is read as a plain-text article: a binary file (a .gz page, an image)
        // would be read as a screenful of replacement characters and judged.
        guard !data.contains(0), let text = String(validating: data, as: UTF8.self) else {
            throw PipelineError.invalidInput(input, line: nil, "not text (binary data or not UTF-8): give a feed, a JSONL file, "
                + "a web page or a plain-text article")
        }
        return [LabelledItem(item: article(text, id: (input as NSString).lastPathComponent))]
    }

    /// A plain-text article: the first non-empty line is the title, the rest the body.
    func article(_ text: String, id: String) -> Item {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let titleIndex = lines.firstIndex { !String($0).trimmedWhitespace.isEmpty }
        let title = titleIndex.map { String(lines[$0]).trimmedWhitespace } ?? ""
        let body = titleIndex.map { lines[($0 + 1)...].joined(separator: "\n") } ?? text
        return Item(id: id, title: title, text: body)
    }

    func feed(_ bytes: [UInt8], source: FeedSource, name: String) throws(PipelineError) -> [LabelledItem] {
        let document: FeedDocument
        do {
            document = try FeedParser.parse(bytes, source: source)
        } catch {
            // A news page rather than a feed (`classify https://…/article.html`): its article,
            // read as `extract` reads it, is the one item.
            if case .notAFeed = error, Self.isHTMLPage(bytes) { return [LabelledItem(item: try page(bytes, source: source, name: name))] }
            throw PipelineError.invalidInput(name, line: nil, error.description)
        }
        return items(of: document)
    }

    /// The article of a web page as an item: its title, text, date and canonical address.
    func page(_ bytes: [UInt8], source: FeedSource, name: String) throws(PipelineError) -> Item {
        let article = ArticleExtractor.extract(bytes, url: source.url, contentType: source.headers["content-type"])
        guard !article.text.trimmedWhitespace.isEmpty else {
            throw PipelineError.invalidInput(name, line: nil, "a web page with no article text to read (not a feed either)")
        }
        return Item(id: article.canonical ?? source.url ?? name, title: article.title ?? "", text: article.text,
                    link: article.canonical ?? source.url, published: article.published)
    }

    /// Whether a document that is no feed is an HTML page: an HTML doctype or an `<html>` tag
    /// in its first 4 KiB.
    package static func isHTMLPage(_ bytes: [UInt8]) -> Bool {
        let head = String(decoding: bytes.prefix(4096), as: UTF8.self).lowercased()
        return head.contains("<!doctype html") || head.contains("<html")
    }

    func items(of document: FeedDocument) -> [LabelledItem] {
        document.entries.map { LabelledItem(item: Item(entry: $0, source: document.feed.title)) }
    }

    func jsonLines(_ data: Data, source: String) throws(PipelineError) -> [LabelledItem] {
        var items: [LabelledItem] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(line).trimmedWhitespace
            if trimmed.isEmpty { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                throw PipelineError.invalidInput(source, line: number + 1, "not a JSON object")
            }
            func text(_ key: String) -> String? {
                guard let value = object[key] as? String else { return nil }
                let trimmed = value.trimmedWhitespace
                return trimmed.isEmpty ? nil : trimmed
            }
            let id = text("id") ?? (object["id"] as? NSNumber)?.stringValue ?? "\(source):\(number + 1)"
            let title = text("title") ?? ""
            let body = [text("summary"), text("content"), text("text")].compactMap { $0 }
                .map { $0.contains("<") ? HTMLText.plainText(fromHTML: $0) : $0 }
                .joined(separator: "\n\n")
            guard !title.isEmpty || !body.isEmpty else {
                throw PipelineError.invalidInput(source, line: number + 1, "a record needs a title or a summary")
            }
            // A label that is neither was read as `other`: "Drill" or "yes" turned a drill into
            // a negative of the evaluation and of the training.
            let label = try text("label").flatMap { written throws(PipelineError) -> DrillLabel? in
                guard let label = DrillLabel(rawValue: written.lowercased()) else {
                    guard checksLabels else { return nil }
                    throw PipelineError.invalidInput(source, line: number + 1, "label must be \"drill\" or \"other\" (got \"\(written)\")")
                }
                return label
            }
            let item = Item(id: id, title: title, text: body, link: text("link"),
                            published: text("published").flatMap(FeedDate.parse), source: text("source"))
            items.append(LabelledItem(item: item, label: label, category: text("category"), story: text("story"),
                                      event: text("event"), language: text("language")))
        }
        return items
    }
}
