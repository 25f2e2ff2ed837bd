import Article
import Classifier
import Feeds
import Foundation
import Model
import Settings
import XML

/// The entry points fuzzed by `drillwatch-fuzz` and replayed by the tests on every input that
/// once crashed or hung: one function per untrusted input drillwatch reads.
///
/// Each takes raw bytes and must return for any of them: no trap, no hang, bounded memory.
/// Results are checked for the invariants that hold for every input (text is valid UTF-8
/// without NULs, a parse either succeeds or names its error), so a wrong answer that does not
/// crash can still stop the fuzzer.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case feed, date, query, config, html, article

    public func run(_ bytes: [UInt8]) {
        switch self {
        case .feed: Self.feed(bytes)
        case .date: Self.date(bytes)
        case .query: Self.query(bytes)
        case .config: Self.config(bytes)
        case .html: Self.html(bytes)
        case .article: Self.article(bytes)
        }
    }

    /// A feed document in any format, pushed to the parser in chunks whose size the first
    /// byte picks, so that chunk boundaries fall everywhere.
    static func feed(_ bytes: [UInt8]) {
        let chunkSize = Int(bytes.first ?? 0) % 64 + 1
        let source = FeedSource(url: "http://fuzz.example/feed")
        var entries: [FeedEntry] = []
        guard (try? FeedParser.parse(bytes, source: source, chunkSize: chunkSize) { entries.append($0) }) != nil else { return }
        for entry in entries {
            check(HTMLText.plainText(fromHTML: entry.title ?? ""))
            check(entry.text)
            precondition(!entry.key.isEmpty, "an entry without an identity")
        }
    }

    static func date(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let date = FeedDate.parse(text) {
            precondition(date.timeIntervalSince1970.isFinite, "a date that is not finite")
            _ = FeedDate.format(date)
        }
    }

    /// The first line is a rule; the rest is the text it is evaluated against.
    static func query(_ bytes: [UInt8]) {
        let split = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
        let rule = String(decoding: bytes[..<split], as: UTF8.self)
        let text = String(decoding: bytes[split...], as: UTF8.self)
        guard let classifier = try? Classifier(
            settings: ClassifierSettings(),
            rules: [RuleDefinition(name: "fuzz", query: rule, weight: 2, effect: .raise)],
            corpus: [CorpusDocument(id: "c", body: "Russia and China began the Joint Sea naval drill.")],
            gazetteer: Gazetteer(exercises: [Gazetteer.Entry(name: "Joint Sea")]))
        else { return }
        let verdict = classifier.judge(Item(id: "i", title: String(text.prefix(80)), text: text))
        precondition(verdict.score.isFinite && (0...1).contains(verdict.score), "score out of range")
    }

    /// A configuration file; `base` may name another file, so the input sits in a folder of
    /// its own where nothing else can be found.
    static func config(_ bytes: [UInt8]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("drillwatch-fuzz-config", isDirectory: true)
        let file = folder.appendingPathComponent("fuzz.toml")
        do {
            let settings = try Settings.parse(String(decoding: bytes, as: UTF8.self), file: file, checkingRules: Classifier.ruleProblems)
            _ = settings.feeds.count
        } catch {
            precondition(!error.description.isEmpty, "an error without a message")
        }
    }

    static func html(_ bytes: [UInt8]) {
        let html = String(decoding: bytes, as: UTF8.self)
        check(HTMLText.plainText(fromHTML: html))
        let normalised = HTMLNormalizer.normalise(html, base: "http://fuzz.example/a/")
        precondition(!normalised.utf8.contains(0), "a NUL in normalised HTML")
    }

    /// A web page, as the scan fetches for a headline-only item; the first byte picks a
    /// declared charset, so that decoding is fuzzed too.
    static func article(_ bytes: [UInt8]) {
        let charsets = [nil, "utf-8", "windows-1251", "gb18030", "shift_jis", "utf-16"]
        let contentType = charsets[Int(bytes.first ?? 0) % charsets.count].map { "text/html; charset=\($0)" }
        let article = ArticleExtractor.extract(bytes, url: "http://fuzz.example/a/page", contentType: contentType)
        check(article.text)
        check(article.title ?? "")
        if let canonical = article.canonical {
            precondition(canonical.hasPrefix("http://") || canonical.hasPrefix("https://"), "a canonical address that is not http(s)")
        }
    }

    private static func check(_ text: String) {
        precondition(!text.utf8.contains(0), "a NUL byte in extracted text")
    }
}
