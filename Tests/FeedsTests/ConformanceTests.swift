import Foundation
import TestSupport
import Testing
@testable import Feeds

/// Runs feedparser's own test suite (as translated in `shared/conformance/feedparser`) through
/// drillwatch's parser and scores it per category.
@Suite struct FeedparserConformance {
    /// Records whose expectation is not portable (see shared/conformance/README.md).
    static let excludedTags: Set<String> = ["rfc3023-text-default", "heuristic-charset", "feedparser-main-only", "html-sanitizer"]

    struct Check: Decodable {
        let path: String
        let equals: JSONAny
    }

    struct Record: Decodable {
        let file: String
        let category: String
        let checks: [Check]
        let tags: [String]?
        let input: Input?
        struct Input: Decodable {
            let url: String?
            let http_headers: [String: String]?
        }
    }

    @Test func feedparserSuite() throws {
        guard let folder = SharedData.url("conformance/feedparser") else {
            print("skipped: ../shared/conformance is not present beside this checkout")
            return
        }
        let lines = try String(contentsOf: folder.appendingPathComponent("expectations.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        var passed: [String: Int] = [:], total: [String: Int] = [:]
        var failures: [String] = []
        for line in lines {
            let record = try JSONDecoder().decode(Record.self, from: Data(line.utf8))
            if !(record.tags ?? []).allSatisfy({ !Self.excludedTags.contains($0) }) { continue }
            let bytes = try Array(Data(contentsOf: folder.appendingPathComponent(record.file)))
            let source = FeedSource(url: record.input?.url, headers: record.input?.http_headers ?? [:])
            let document = try? FeedParser.parse(bytes, source: source)
            let category = record.category
            total[category, default: 0] += 1
            var ok = true
            for check in record.checks {
                let actual = Self.value(at: check.path, in: document)
                if !Self.matches(actual, check.equals, path: check.path) {
                    ok = false
                    failures.append("\(record.file): \(check.path) expected \(check.equals) got \(actual.map { "\($0)" } ?? "nil")")
                }
            }
            if ok { passed[category, default: 0] += 1 }
        }
        let all = total.values.reduce(0, +), good = passed.values.reduce(0, +)
        print("feedparser conformance: \(good)/\(all) = \(String(format: "%.1f", 100.0 * Double(good) / Double(all)))%")
        for category in total.keys.sorted() {
            let p = passed[category, default: 0], t = total[category]!
            print("  \(category.padding(toLength: 28, withPad: " ", startingAt: 0)) \(p)/\(t)  \(String(format: "%.1f", 100.0 * Double(p) / Double(t)))%")
            #expect(Double(p) / Double(t) >= 0.90, "category \(category) below 90%")
        }
        if let path = ProcessInfo.processInfo.environment["DRILLWATCH_CONFORMANCE_FAILURES"] {
            try failures.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        #expect(Double(good) / Double(all) >= 0.97)
    }

    @Test func dateCases() throws {
        guard let file = SharedData.url("conformance/feedparser/dates.jsonl") else {
            print("skipped: ../shared/conformance is not present beside this checkout")
            return
        }
        struct Case: Decodable { let parser: String; let input: String; let expected: String? }
        var good = 0, all = 0
        var misses: [String] = []
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
            let item = try JSONDecoder().decode(Case.self, from: Data(line.utf8))
            all += 1
            let actual = FeedDate.parse(item.input).map(FeedDate.format)
            if actual == item.expected { good += 1 } else { misses.append("\(item.parser) '\(item.input)': expected \(item.expected ?? "nil"), got \(actual ?? "nil")") }
        }
        print("date conformance: \(good)/\(all)")
        for miss in misses { print("  miss: \(miss)") }
        #expect(Double(good) / Double(all) >= 0.95)
    }

    // MARK: - Vocabulary

    static func value(at path: String, in document: FeedDocument?) -> Any? {
        guard let document else { return path == "bozo" ? true : nil }
        switch path {
        case "bozo": return document.bozo
        case "encoding": return document.encoding
        case "version": return document.version
        case "feed.title": return document.feed.title
        case "feed.link": return document.feed.link
        case "feed.subtitle": return document.feed.subtitle
        case "feed.language": return document.feed.language
        case "feed.updated": return document.feed.updated.map(FeedDate.format)
        case "entries.count": return document.entries.count
        default: break
        }
        // entries[i].field or entries[i].enclosures[j].url
        let pattern = #/^entries\[(\d+)\]\.(\w+)(?:\[(\d+)\]\.url)?$/#
        guard let match = path.wholeMatch(of: pattern), let index = Int(match.1) else { return nil }
        guard index < document.entries.count else { return nil }
        let entry = document.entries[index]
        switch match.2 {
        case "title": return entry.title
        case "link": return entry.link
        case "id": return entry.id
        case "summary": return entry.summary
        case "content": return entry.content
        case "published": return entry.published.map(FeedDate.format)
        case "updated": return entry.updated.map(FeedDate.format)
        case "author": return entry.author
        case "enclosures":
            guard let j = match.3.flatMap({ Int($0) }), j < entry.enclosures.count else { return nil }
            return entry.enclosures[j]
        default: return nil
        }
    }

    static func matches(_ actual: Any?, _ expected: JSONAny, path: String) -> Bool {
        switch expected {
        case .null:
            if actual == nil { return true }
            if let text = actual as? String { return text.isEmpty }
            return false
        case .bool(let value): return (actual as? Bool) == value
        case .number(let value): return (actual as? Int).map(Double.init) == value
        case .string(let value):
            guard let text = actual as? String else { return false }
            if path == "encoding" { return encodingName(text) == encodingName(value) }
            return text == value
        }
    }

    static func encodingName(_ name: String) -> String {
        let lower = name.lowercased().replacingOccurrences(of: "_", with: "-")
        let aliases = ["gb2312": "gb18030", "ascii": "us-ascii", "latin-1": "iso-8859-1", "cp1252": "windows-1252", "utf8": "utf-8"]
        return aliases[lower] ?? lower
    }
}

/// The scalar JSON values the expectations use.
enum JSONAny: Decodable, CustomStringConvertible {
    case null, bool(Bool), number(Double), string(String)
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else { self = .string(try container.decode(String.self)) }
    }
    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let v): return "\(v)"
        case .number(let v): return "\(v)"
        case .string(let v): return "'\(v)'"
        }
    }
}
