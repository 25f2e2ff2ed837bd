import Foundation
import XML

/// JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), and RSS 2.0 written as JSON
/// (`{"rss": {"channel": {...}}}`, as rss.js and some blog engines publish it).
enum JSONFeedReader {
    static func parse(_ bytes: [UInt8], source: FeedSource, onEntry: (consuming FeedEntry) -> Void) throws(FeedError) -> FeedDocument {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw FeedError.invalidJSON("the document is not valid JSON")
        }
        guard let feed = object as? [String: Any] else { throw FeedError.invalidJSON("the top level is not an object") }
        if let rss = feed["rss"] as? [String: Any], let channel = rss["channel"] as? [String: Any] {
            return parseRSS(channel: channel, source: source, onEntry: onEntry)
        }
        let version = feed["version"] as? String ?? ""
        guard version.contains("jsonfeed.org/version/") else {
            throw FeedError.notAFeed("JSON without a jsonfeed.org version")
        }
        let base = source.documentBase ?? (feed["feed_url"] as? String)
        var document = FeedDocument()
        document.version = version.hasSuffix("/1.1") ? "json11" : "json10"
        document.feed.title = string(feed["title"])
        document.feed.link = string(feed["home_page_url"]).map { URIResolver.resolve($0, against: base) }
        document.feed.subtitle = string(feed["description"])
        document.feed.language = string(feed["language"]) ?? source.headers["content-language"]

        let feedAuthor = author(feed)
        for case let item as [String: Any] in feed["items"] as? [Any] ?? [] {
            var entry = FeedEntry()
            entry.id = string(item["id"]) ?? (item["id"] as? NSNumber)?.stringValue
            entry.title = string(item["title"])
            entry.link = (string(item["url"]) ?? string(item["external_url"])).map { URIResolver.resolve($0, against: base) }
            let html = string(item["content_html"]).map { HTMLNormalizer.normalise($0, base: base) }
            let text = string(item["content_text"])
            entry.content = html ?? text
            entry.summary = string(item["summary"]) ?? entry.content
            entry.published = string(item["date_published"]).flatMap(FeedDate.parse)
            entry.updated = string(item["date_modified"]).flatMap(FeedDate.parse)
            entry.author = author(item) ?? feedAuthor
            entry.enclosures = (item["attachments"] as? [Any] ?? []).compactMap {
                ($0 as? [String: Any]).flatMap { string($0["url"]) }.map { URIResolver.resolve($0, against: base) }
            }
            entry.categories = (item["tags"] as? [Any] ?? []).compactMap { $0 as? String }
            if let html {
                entry.text = HTMLText.plainText(fromHTML: html)
            } else if let body = text ?? string(item["summary"]) {
                entry.text = HTMLText.plainText(fromHTML: TextConstruct.escape(body, quotes: false))
            }
            entry.key = ItemKey.make(id: entry.id, link: entry.link, title: entry.title, date: entry.published ?? entry.updated)
            onEntry(entry)
        }
        return document
    }

    private static func parseRSS(channel: [String: Any], source: FeedSource, onEntry: (consuming FeedEntry) -> Void) -> FeedDocument {
        let base = source.documentBase
        var document = FeedDocument()
        document.version = "rss20-json"
        document.feed.title = string(channel["title"])
        document.feed.link = string(channel["link"]).map { URIResolver.resolve($0, against: base) }
        document.feed.subtitle = string(channel["description"])
        document.feed.language = string(channel["language"])
        document.feed.updated = string(channel["lastBuildDate"]).flatMap(FeedDate.parse)
        let items = (channel["item"] as? [Any]) ?? (channel["item"].map { [$0] } ?? [])
        for case let item as [String: Any] in items {
            var entry = FeedEntry()
            entry.title = string(item["title"])
            entry.link = string(item["link"]).map { URIResolver.resolve($0, against: base) }
            entry.id = string(item["guid"]) ?? (item["guid"] as? [String: Any]).flatMap { string($0["#value"] ?? $0["value"]) }
            if let description = string(item["description"]) {
                let html = HTMLNormalizer.normalise(description, base: base)
                entry.summary = html
                entry.text = HTMLText.plainText(fromHTML: html)
            }
            entry.published = string(item["pubDate"]).flatMap(FeedDate.parse)
            entry.author = string(item["author"])
            entry.key = ItemKey.make(id: entry.id, link: entry.link, title: entry.title, date: entry.published)
            onEntry(entry)
        }
        return document
    }

    private static func string(_ value: Any?) -> String? {
        guard let text = value as? String else { return nil }
        let trimmed = text.trimmedWhitespace
        return trimmed.isEmpty ? nil : trimmed
    }

    /// JSON Feed 1.1 `authors` (an array), or 1.0 `author`.
    private static func author(_ object: [String: Any]) -> String? {
        let authors = (object["authors"] as? [Any]) ?? (object["author"].map { [$0] } ?? [])
        let names = authors.compactMap { ($0 as? [String: Any]).flatMap { string($0["name"]) } }
        return names.isEmpty ? nil : names.joined(separator: ", ")
    }
}
